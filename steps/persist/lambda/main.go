// Command persist is the persist step's Lambda: it wires the configuration
// from the environment and starts the handler of package persist.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/imagepipe/imagepipe/shared/lambdastart"
	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/steps/persist"
)

func main() {
	lambdastart.Run(persist.LoadConfig,
		func(cfg persist.Config, aws aws.Config, log *slog.Logger) (any, error) {
			store := metadata.NewStore(dynamodb.NewFromConfig(aws), cfg.Table)
			return persist.New(store, log).Handle, nil
		})
}
