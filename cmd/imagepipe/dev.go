package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/imagepipe/imagepipe/shared/localstack/pipeline"
)

func init() { subcommands["dev"] = runDev }

// defaultDataDir is where the state lives unless --data-dir or --in-memory
// say otherwise: the XDG state directory, since this is state a person
// expects to find again, not a cache.
func defaultDataDir() string {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "imagepipe", "dev")
}

// runDev runs the whole system on this machine with its web page, until
// SIGINT or SIGTERM.
func runDev(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080",
		"`host:port` of the web page and the HTTP API (POST /uploads, GET /images);\n"+
			"loopback only unless --allow-remote")
	s3Addr := fs.String("s3-addr", "127.0.0.1:0",
		"`host:port` of the S3 endpoint the browser uploads to and downloads from\n"+
			"(presigned URLs point here); port 0 picks a free one")
	allowRemote := fs.Bool("allow-remote", false,
		"allow --addr and --s3-addr beyond loopback; anyone who can reach them can\n"+
			"sign in as any user")
	dataDir := fs.String("data-dir", defaultDataDir(),
		"`directory` that keeps the state across restarts: S3 objects, DynamoDB\n"+
			"items, executions and their histories, messages still queued, the\n"+
			"token signing key; saved on a clean stop (Ctrl-C) and loaded at start")
	inMemory := fs.Bool("in-memory", false,
		"keep the state in memory only, ignoring --data-dir: it is gone at exit")
	metricsEvery := fs.Duration("metrics-every", time.Minute,
		"schedule of the metrics function (the CustomS3 figures); 0 runs it only\n"+
			"when the page asks")
	variants := fs.String("variants", "",
		"the resize step's VARIANTS, such as large:1600,medium:800,thumb:200 (the\n"+
			"first is the primary rendition); empty means the step's default")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second,
		"on Ctrl-C, how long to wait for uploads in flight, the queue and running\n"+
			"executions; what is left is saved and finished after the next start")
	logLevel := fs.String("log-level", "info", "`level` of the JSON logs on stderr: "+
		"debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: imagepipe dev [flags]

Runs the whole image pipeline on this machine, in one process: S3, SQS, SNS,
DynamoDB and CloudWatch stand-ins, the local EventBridge Pipe, the state
machine on the local engine with the real step handlers, the upload URL
function behind a local HTTP API that checks JWTs as the API Gateway
authorizer does, the metrics function on its schedule, and a web page to
sign in, upload images, watch them go through the steps and inspect, redrive
or restart executions. Open the printed URL. Logs are JSON on stderr.

The first Ctrl-C stops cleanly (see --shutdown-timeout); a second one exits
at once and loses what was not saved.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "imagepipe dev: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	level, err := logLevelVar(*logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "imagepipe dev: --log-level: %v\n", err)
		return 2
	}
	dir := *dataDir
	if *inMemory {
		dir = ""
	} else if dir == "" {
		fmt.Fprintln(stderr, "imagepipe dev: no --data-dir (no home directory?); "+
			"give one or use --in-memory")
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := startDev(ctx, pipeline.ProcessEnv{}, devConfig{
		Addr: *addr, S3Addr: *s3Addr, AllowRemote: *allowRemote, DataDir: dir,
		MetricsEvery: *metricsEvery, Variants: *variants,
		ShutdownTimeout: *shutdownTimeout, TimeScale: 1, Logger: log,
	})
	if err != nil {
		log.Error("imagepipe dev did not start", "error", err.Error())
		return 1
	}
	fmt.Fprintf(stdout, "imagepipe dev: open %s (Ctrl-C stops)\n", srv.URL)

	<-ctx.Done()
	stop()
	// A second signal while stopping ends the process at once, which is
	// what someone pressing Ctrl-C again wants.
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-again:
			log.Error("second signal: exiting without saving")
			os.Exit(1)
		case <-stopped:
		}
	}()
	if err := srv.Shutdown(context.Background()); err != nil {
		return 1
	}
	return 0
}
