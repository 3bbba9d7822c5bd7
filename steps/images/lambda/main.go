// Command lambda is the images function's entry point: configuration from
// the environment, clients from shared/awsconfig, and the handler.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/steps/images"
)

func main() {
	logger := slog.New(logHandler())

	cfg, err := images.LoadConfig(settings.OS)
	if err != nil {
		logger.Error("images: bad configuration", "err", err.Error())
		os.Exit(1)
	}
	awsCfg, err := awsconfig.Load(context.Background())
	if err != nil {
		logger.Error("images: no AWS configuration", "err", err.Error())
		os.Exit(1)
	}

	h, err := images.New(cfg, dynamodb.NewFromConfig(awsCfg),
		s3.NewPresignClient(awsconfig.S3(awsCfg)), logger)
	if err != nil {
		logger.Error("images: bad configuration", "err", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// logHandler returns Lambda's own slog handler when the function's log
// format is JSON (it adds the request id), and a JSON handler otherwise, so
// that the logs stay JSON whatever the function's logging setting.
func logHandler() slog.Handler {
	if os.Getenv("AWS_LAMBDA_LOG_FORMAT") == "JSON" {
		return lambdacontext.NewLogHandler()
	}
	return slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: lambdacontext.ReplaceAttr,
	})
}
