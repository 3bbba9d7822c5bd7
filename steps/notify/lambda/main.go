// Command notify is the notify step's Lambda: it wires the configuration from
// the environment and starts the handler of package notify.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/imagepipe/imagepipe/shared/lambdastart"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/notification"
	"github.com/imagepipe/imagepipe/steps/notify"
)

func main() {
	lambdastart.Run(notify.LoadConfig,
		func(cfg notify.Config, aws aws.Config, log *slog.Logger) (any, error) {
			store := metadata.NewStore(dynamodb.NewFromConfig(aws), cfg.Table)
			pub := notification.NewPublisher(sns.NewFromConfig(aws), cfg.Topic)
			return notify.New(store, pub, log).Handle, nil
		})
}
