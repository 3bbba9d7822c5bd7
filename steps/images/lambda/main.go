// Command lambda is the image status function's entry point: configuration
// from the environment, clients from shared/awsconfig, and the handler.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/lambdastart"
	"github.com/imagepipe/imagepipe/steps/images"
)

func main() {
	lambdastart.Run(images.LoadConfig,
		func(cfg images.Config, aws aws.Config, log *slog.Logger) (any, error) {
			h, err := images.New(cfg, dynamodb.NewFromConfig(aws),
				s3.NewPresignClient(awsconfig.S3(aws)), log)
			if err != nil {
				return nil, err
			}
			return h.Handle, nil
		})
}
