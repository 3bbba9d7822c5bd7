// Package lambdastart holds the start-up that every step Lambda's main shares:
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
	"github.com/imagepipe/imagepipe/shared/settings"
)

// Run loads the step's configuration with load, the SDK's from the
// environment, builds the handler with build and hands it to lambda.Start.
// A bad configuration is logged and ends the process: Lambda reports the
// failed start, and no event is taken.
func Run[C any](load func(settings.Env) (C, error),
	build func(cfg C, aws aws.Config, log *slog.Logger) any) {
	log := lambdacontext.NewLogger()
	cfg, err := load(settings.OS)
	if err != nil {
		log.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := awsconfig.Load(context.Background())
	if err != nil {
		log.Error("bad AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(build(cfg, awsCfg, log))
}
