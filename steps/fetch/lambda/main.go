// Command fetch is the fetch step's Lambda: it wires the configuration from
// the environment and starts the handler of package fetch.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/steps/fetch"
)

func main() {
	log := lambdacontext.NewLogger()
	cfg, err := fetch.LoadConfig(settings.OS)
	if err != nil {
		log.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	aws, err := awsconfig.Load(context.Background())
	if err != nil {
		log.Error("bad AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(fetch.New(cfg, awsconfig.S3(aws), log).Handle)
}
