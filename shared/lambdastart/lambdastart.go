// Package lambdastart holds the start-up that every Lambda's main shares:
// JSON logs, the configuration from the environment, the SDK's configuration,
// then the runtime loop.
package lambdastart

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
)

// Run loads the function's configuration with load, the SDK's from the
// environment, builds the handler with build and hands it to lambda.Start.
// A bad configuration is logged and ends the process: Lambda reports the
// failed start, and no event is taken.
func Run[C any, Env ~func(string) string](load func(Env) (C, error),
	build func(cfg C, aws aws.Config, log *slog.Logger) (any, error)) {
	log := Logger()
	cfg, err := load(Env(os.Getenv))
	if err != nil {
		log.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := awsconfig.Load(context.Background())
	if err != nil {
		log.Error("bad AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	handler, err := build(cfg, awsCfg, log)
	if err != nil {
		log.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler)
}

// Logger returns the JSON logger of a Lambda: Lambda's own handler, which
// adds the request id, when the function's log format is JSON, and a plain
// JSON handler otherwise, since lambdacontext writes text unless
// AWS_LAMBDA_LOG_FORMAT is JSON and these logs must stay JSON.
func Logger() *slog.Logger {
	if os.Getenv("AWS_LAMBDA_LOG_FORMAT") == "JSON" {
		return slog.New(lambdacontext.NewLogHandler())
	}
	return slog.New(slog.NewJSONHandler(os.Stdout,
		&slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
}
