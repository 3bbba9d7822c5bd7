// Command pulumi is the imagepipe Pulumi program (warm-up placeholder).
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cognito"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/pipes"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

var (
	_ = aws.GetCallerIdentity
	_ = apigatewayv2.NewApi
	_ = cloudwatch.NewMetricAlarm
	_ = cognito.NewUserPool
	_ = dynamodb.NewTable
	_ = iam.NewRole
	_ = lambda.NewFunction
	_ = pipes.NewPipe
	_ = s3.NewBucketV2
	_ = sfn.NewStateMachine
	_ = sns.NewTopic
	_ = sqs.NewQueue
	_ = config.New
)

func main() { pulumi.Run(func(ctx *pulumi.Context) error { return nil }) }
