// Command lambda is the uploadurl function's entry point: configuration from
// the environment, clients from shared/awsconfig, and the handler.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/lambdastart"
	"github.com/imagepipe/imagepipe/steps/uploadurl"
)

func main() {
	lambdastart.Run(uploadurl.LoadConfig,
		func(cfg uploadurl.Config, aws aws.Config, log *slog.Logger) (any, error) {
			h, err := uploadurl.New(cfg, s3.NewPresignClient(awsconfig.S3(aws)), log)
			if err != nil {
				return nil, err
			}
			return h.Handle, nil
		})
}
