// Command fetch is the fetch step's Lambda: it wires the configuration from
// the environment and starts the handler of package fetch.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/lambdastart"
	"github.com/imagepipe/imagepipe/steps/fetch"
)

func main() {
	lambdastart.Run(fetch.LoadConfig,
		func(cfg fetch.Config, aws aws.Config, log *slog.Logger) (any, error) {
			return fetch.New(cfg, awsconfig.S3(aws), log).Handle, nil
		})
}
