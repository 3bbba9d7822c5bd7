package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/imagepipe/imagepipe/shared/localstack/pipeline"
	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// runImages uploads each file to the local pipeline's originals bucket as one
// user would, waits until every execution has ended and prints each image's
// item as JSON.
func runImages(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.String("user", "dev-user", "the userId the images are uploaded as")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for the pipeline")
	verbose := fs.Bool("v", false, "print the JSON logs of the stack and the handlers")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: imagepipe run [flags] FILE...\n\n"+
			"Puts each image through the local pipeline and prints its item.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}

	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	p, err := pipeline.Start(ctx, pipeline.ProcessEnv{},
		pipeline.Options{Logger: slog.New(slog.NewJSONHandler(logOut, nil))})
	if err != nil {
		fmt.Fprintln(stderr, "imagepipe:", err)
		return 1
	}
	defer p.Close()

	ids := map[string]string{}
	for _, file := range fs.Args() {
		id, err := put(ctx, p, *user, file)
		if err != nil {
			fmt.Fprintln(stderr, "imagepipe:", err)
			return 1
		}
		ids[file] = id
	}
	if err := p.WaitIdle(ctx); err != nil {
		fmt.Fprintln(stderr, "imagepipe:", err)
		return 1
	}

	code := 0
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	for _, file := range fs.Args() {
		item, found, err := p.Store.Get(ctx, ids[file])
		if err != nil || !found {
			fmt.Fprintf(stderr, "imagepipe: %s: no item (%v)\n", file, err)
			code = 1
			continue
		}
		if item.Status != "DONE" {
			code = 1
		}
		enc.Encode(map[string]any{"file": file, "item": item})
	}
	return code
}

func put(ctx context.Context, p *pipeline.Pipeline, user, file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(file)), ".")
	if _, ok := objectkey.Extensions[ext]; !ok {
		ext = "jpg" // the pipeline sniffs the content and rejects what is not an image
	}
	id := uuid.NewString()
	_, err = p.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(p.Stack.OriginalsBucket),
		Key:           aws.String(objectkey.OriginalKey(user, id, ext)),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	return id, err
}
