// Command lambda is the metrics Lambda: on each EventBridge schedule it puts
// the size and object count of the configured buckets into CloudWatch. See
// package github.com/imagepipe/imagepipe/steps/metrics for the settings.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/lambdastart"
	"github.com/imagepipe/imagepipe/steps/metrics"
)

func main() {
	lambdastart.Run(metrics.LoadConfig,
		func(cfg metrics.Config, aws aws.Config, log *slog.Logger) (any, error) {
			// One pooled connection per listing worker: the SDK's default
			// keeps only a few idle connections per host.
			aws.HTTPClient = metrics.HTTPClient(cfg.Concurrency)
			return metrics.New(awsconfig.S3(aws), cloudwatch.NewFromConfig(aws), cfg,
				log).Handle, nil
		})
}
