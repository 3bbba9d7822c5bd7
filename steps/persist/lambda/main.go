// Command persist is the persist step's Lambda: it wires the configuration
// from the environment and starts the handler of package persist.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/steps/persist"
)

func main() {
	log := lambdacontext.NewLogger()
	cfg, err := persist.LoadConfig(settings.OS)
	if err != nil {
		log.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	aws, err := awsconfig.Load(context.Background())
	if err != nil {
		log.Error("bad AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	store := metadata.NewStore(dynamodb.NewFromConfig(aws), cfg.Table)
	lambda.Start(persist.New(store, log).Handle)
}
