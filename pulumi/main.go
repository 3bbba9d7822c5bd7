// Command pulumi is the imagepipe Pulumi program: one `pulumi up` deploys the
// buckets, the queue and pipe, the state machine and its Lambdas, the upload
// and image status API with its user pool, the metrics schedule, the alarms
// and the dashboard.
//
// Pulumi.yaml at the repository root points here (main: pulumi/), so the
// program runs with pulumi/ as its working directory and finds the Lambda
// zips of `make build` in ../build by default.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := deploy(ctx, loadConfig(ctx))
		return err
	})
}

// storage is where data rests and waits: buckets, queues, table and topic.
type storage struct {
	originals, processed *bucket
	uploads              *uploadQueue
	table                *dynamodb.Table
	topic                *sns.Topic
	// failureDLQ keeps execution-failure events that the failure recorder
	// could not take, from EventBridge and from Lambda's async retries.
	failureDLQ *sqs.Queue
}

// deployment is every resource of the stack, for the tests to inspect.
type deployment struct {
	storage    *storage
	functions  functions
	workflow   *workflow
	api        *httpAPI
	monitoring *monitoring
	// outputs are the stack outputs, by name.
	outputs map[string]pulumi.StringOutput
}

// outputNames are the stack outputs, in the order `pulumi stack output` shows.
var outputNames = []string{"apiUrl", "userPoolId", "userPoolClientId", "originalsBucket",
	"processedBucket", "tableName", "topicArn", "stateMachineArn", "stateMachineConsoleUrl"}

// maxFunctionName is the longest Lambda function name AWS accepts.
const maxFunctionName = 64

// deploy declares the whole system.
func deploy(ctx *pulumi.Context, cfg settings) (*deployment, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	code, err := archives(cfg.buildDir)
	if err != nil {
		return nil, err
	}

	caller, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("imagepipe: the AWS account: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("imagepipe: the AWS region: %w", err)
	}
	prefix := ctx.Project() + "-" + ctx.Stack()
	if longest := prefix + "-" + recordFailureStep; len(longest) > maxFunctionName {
		return nil, fmt.Errorf("imagepipe: the stack name %q is too long: the Lambda name %q "+
			"would exceed AWS's %d characters", ctx.Stack(), longest, maxFunctionName)
	}

	d := &deployment{}
	if d.storage, err = newStorage(ctx, cfg, prefix, caller.AccountId); err != nil {
		return nil, err
	}
	if d.functions, err = newFunctions(ctx, cfg, prefix, code, d.storage); err != nil {
		return nil, err
	}
	d.workflow, err = newWorkflow(ctx, cfg, prefix, caller.AccountId, d.storage, d.functions)
	if err != nil {
		return nil, err
	}
	if d.api, err = newHTTPAPI(ctx, cfg, prefix, region.Name, d.functions); err != nil {
		return nil, err
	}
	d.monitoring, err = newMonitoring(ctx, cfg, prefix, region.Name, d.storage, d.functions,
		d.workflow, d.api)
	if err != nil {
		return nil, err
	}

	sm := d.workflow.stateMachine.Arn
	d.outputs = map[string]pulumi.StringOutput{
		"apiUrl":           d.api.api.ApiEndpoint,
		"userPoolId":       d.api.userPool.ID().ToStringOutput(),
		"userPoolClientId": d.api.client.ID().ToStringOutput(),
		"originalsBucket":  d.storage.originals.bucket.Bucket,
		"processedBucket":  d.storage.processed.bucket.Bucket,
		"tableName":        d.storage.table.Name,
		"topicArn":         d.storage.topic.Arn,
		"stateMachineArn":  sm,
		"stateMachineConsoleUrl": pulumi.Sprintf(
			"https://%[1]s.console.aws.amazon.com/states/home?region=%[1]s"+
				"#/statemachines/view/%[2]s", region.Name, sm),
	}
	for _, name := range outputNames {
		ctx.Export(name, d.outputs[name])
	}
	return d, nil
}

// newStorage creates the buckets, queues, table and topic.
func newStorage(ctx *pulumi.Context, cfg settings, prefix, accountID string) (*storage, error) {
	st := &storage{}
	var err error
	if st.originals, err = newBucket(ctx, "originals"); err != nil {
		return nil, err
	}
	if err = st.originals.addUploadCORS(ctx, "originals", cfg.corsOrigins); err != nil {
		return nil, err
	}
	if st.processed, err = newBucket(ctx, "processed"); err != nil {
		return nil, err
	}
	if st.uploads, err = newUploadQueue(ctx, st.originals, accountID); err != nil {
		return nil, err
	}
	if st.table, err = newTable(ctx, prefix+"-images"); err != nil {
		return nil, err
	}
	if st.topic, err = newTopic(ctx, cfg.alarmEmail); err != nil {
		return nil, err
	}

	// Failed-execution events wait here when the failure recorder cannot
	// take them, for as long as SQS keeps anything.
	st.failureDLQ, err = sqs.NewQueue(ctx, "failure-events-dlq", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MaxMessageSize:          pulumi.Int(maxMessageBytes),
		MessageRetentionSeconds: pulumi.Int(dlqRetentionSeconds),
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}
