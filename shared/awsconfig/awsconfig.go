// Package awsconfig builds the AWS SDK clients of the Lambdas from the SDK's
// own environment: credentials, region, retries and endpoints all come from
// the standard variables (AWS_REGION, AWS_MAX_ATTEMPTS, AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_<SERVICE>, …). Nothing here exists only for tests.
package awsconfig

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Load returns the SDK configuration from the environment.
func Load(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("awsconfig: %w", err)
	}
	return cfg, nil
}

// S3 returns an S3 client for cfg. When an S3 endpoint is overridden through
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, it addresses buckets by path
// (http://host/bucket/key): S3-compatible servers on a host name such as
// localhost cannot serve virtual-hosted bucket names.
//
// The client does not log "Response has no supported checksum" for each
// object read that S3 (or an emulator) returns without a checksum: the SDK
// prints it as plain text on stderr, in the middle of the steps' JSON logs,
// and there is nothing to do about it.
func S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = o.UsePathStyle || S3EndpointOverridden()
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// S3EndpointOverridden reports whether the environment points S3 at a custom
// endpoint.
func S3EndpointOverridden() bool {
	return os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
}
