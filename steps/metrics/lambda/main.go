// Command lambda is the metrics Lambda: on each EventBridge schedule it puts
// the size and object count of the configured buckets into CloudWatch. See
// package github.com/imagepipe/imagepipe/steps/metrics for the settings.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/steps/metrics"
)

func main() {
	logger := newLogger()

	cfg, err := metrics.LoadConfig(os.Getenv)
	if err != nil {
		logger.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := awsconfig.Load(context.Background())
	if err != nil {
		logger.Error("AWS SDK configuration", "error", err.Error())
		os.Exit(1)
	}
	awsCfg.HTTPClient = metrics.HTTPClient(cfg.Concurrency)

	h := metrics.New(awsconfig.S3(awsCfg), cloudwatch.NewFromConfig(awsCfg), cfg, logger)
	lambda.Start(h.Handle)
}

// newLogger logs JSON lines: through aws-lambda-go's handler, which adds the
// request id, when the function's log format is JSON, and with plain slog
// JSON otherwise, so that the lines stay JSON either way.
func newLogger() *slog.Logger {
	if os.Getenv("AWS_LAMBDA_LOG_FORMAT") == "JSON" {
		return slog.New(lambdacontext.NewLogHandler())
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, nil))
}
