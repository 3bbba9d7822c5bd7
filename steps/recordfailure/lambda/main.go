// Command recordfailure is the failure recorder's Lambda: it wires the
// configuration from the environment and starts the handler of package
// recordfailure.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/steps/recordfailure"
)

func main() {
	log := lambdacontext.NewLogger()
	cfg, err := recordfailure.LoadConfig(settings.OS)
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
	pub := notification.NewPublisher(sns.NewFromConfig(aws), cfg.Topic)
	lambda.Start(recordfailure.New(store, pub, log).Handle)
}
