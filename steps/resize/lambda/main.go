// Command resize is the resize step's Lambda: it wires the configuration from
// the environment and starts the handler of package resize.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/lambdastart"
	"github.com/imagepipe/imagepipe/steps/resize"
)

func main() {
	lambdastart.Run(resize.LoadConfig,
		func(cfg resize.Config, aws aws.Config, log *slog.Logger) (any, error) {
			return resize.New(cfg, awsconfig.S3(aws), log).Handle, nil
		})
}
