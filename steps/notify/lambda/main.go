// Command notify is the notify step's Lambda: it wires the configuration from
// the environment and starts the handler of package notify.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/shared/settings"
	"github.com/imagepipe/imagepipe/steps/notify"
)

func main() {
	log := lambdacontext.NewLogger()
	cfg, err := notify.LoadConfig(settings.OS)
	if err != nil {
		log.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	aws, err := awsconfig.Load(context.Background())
	if err != nil {
		log.Error("bad AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	pub := notification.NewPublisher(sns.NewFromConfig(aws), cfg.Topic)
	lambda.Start(notify.New(pub, log).Handle)
}
