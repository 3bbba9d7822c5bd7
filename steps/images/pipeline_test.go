package images_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/localstack/pipeline"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/steps/images"
)

// photo encodes a 640×480 JPEG of gradients.
func photo(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{R: uint8(x / 3), G: uint8(y / 2), B: 128, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUploadsShowTheirOutcome runs the whole pipeline on the local stack:
// a photo and a text file named .jpg go in through the originals bucket, and
// the images API, built from the environment as lambda/main.go builds it,
// then shows the photo DONE with variants whose URLs fetch the renditions,
// and the text file FAILED with the reason the pipeline gave.
func TestUploadsShowTheirOutcome(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := pipeline.Start(ctx, t, pipeline.Options{
		Logger: slog.New(slog.NewJSONHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })

	// The user's PUT, straight to the S3 emulator as a presigned URL would.
	user := s3.New(s3.Options{
		Region: p.Stack.Region, BaseEndpoint: aws.String(p.Stack.Emulators.S3),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("user", "secret", ""),
	})
	photoID, textID := uuid.NewString(), uuid.NewString()
	for id, data := range map[string][]byte{
		photoID: photo(t),
		textID:  []byte("hello, this is not a picture\n"),
	} {
		if _, err := user.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(p.Stack.OriginalsBucket),
			Key:    aws.String(objectkey.OriginalKey(fixtureSub, id, "jpg")),
			Body:   bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}

	// Built as lambda/main.go builds it: the environment pipeline.Start set.
	cfg, err := images.LoadConfig(settings.OS)
	if err != nil {
		t.Fatal(err)
	}
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, err := images.New(cfg, dynamodb.NewFromConfig(awsCfg),
		s3.NewPresignClient(awsconfig.S3(awsCfg)), slog.New(slog.NewJSONHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the photo is DONE", func(t *testing.T) {
		img := readImage(t, handle(t, h, getEvent(t, photoID)))
		if img.Status != "DONE" || img.Reason != "" || img.Original == nil ||
			*img.Original != (images.Original{Width: 640, Height: 480, Format: "jpeg",
				Bytes: int64(len(photo(t)))}) {
			t.Errorf("image %+v, original %+v", img, img.Original)
		}
		names := []string{}
		for _, v := range img.Variants {
			names = append(names, v.Name)
			resp, err := http.Get(v.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got, err := jpeg.DecodeConfig(bytes.NewReader(body))
			if resp.StatusCode != http.StatusOK || err != nil ||
				got.Width != v.Width || got.Height != v.Height || int64(len(body)) != v.Bytes {
				t.Errorf("%s: GET %d, %d bytes decode as %dx%d (%v); listed %dx%d, %d bytes",
					v.Name, resp.StatusCode, len(body), got.Width, got.Height, err,
					v.Width, v.Height, v.Bytes)
			}
		}
		if strings.Join(names, ",") != "large,medium,thumb" {
			t.Errorf("variants %v, want large, medium, thumb", names)
		}
	})

	t.Run("the text file is FAILED", func(t *testing.T) {
		img := readImage(t, handle(t, h, getEvent(t, textID)))
		if img.Status != "FAILED" || !strings.Contains(img.Reason, "text") ||
			len(img.Variants) != 0 {
			t.Errorf("image %+v", img)
		}
	})

	t.Run("another user sees neither", func(t *testing.T) {
		for _, id := range []string{photoID, textID} {
			refusal(t, handle(t, h, as(getEvent(t, id), otherSub)), http.StatusNotFound,
				images.CodeNotFound)
		}
	})

	t.Run("the list holds both", func(t *testing.T) {
		l := list(t, handle(t, h, loadEvent(t, "list.json")))
		if len(l.Images) != 2 || l.NextCursor != "" {
			t.Errorf("list %+v", l)
		}
	})
}
