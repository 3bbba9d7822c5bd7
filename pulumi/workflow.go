package main

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/pipes"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/imagepipe/imagepipe/shared/s3event"
	"github.com/imagepipe/imagepipe/statemachine"
)

// failedStatuses are the execution statuses that the failure recorder hears of.
var failedStatuses = []string{"FAILED", "TIMED_OUT", "ABORTED"}

// Retry limits of the EventBridge rule that feeds the failure recorder; an
// event that still cannot be delivered lands in the failure-events DLQ.
const (
	failureEventMaxAgeSeconds = 24 * 3600
	failureEventMaxRetries    = 185
)

// workflow is the state machine and what starts it and hears of its failures.
type workflow struct {
	stateMachine *sfn.StateMachine
	role         serviceRole
	logGroup     *cloudwatch.LogGroup

	pipe         *pipes.Pipe
	pipeRole     serviceRole
	pipeLogGroup *cloudwatch.LogGroup

	failureRule       *cloudwatch.EventRule
	failureTarget     *cloudwatch.EventTarget
	failureDLQPolicy  *sqs.QueuePolicy
	failurePermission *lambda.Permission
}

// newWorkflow creates the state machine, the pipe that starts it, and the rule
// that reports its failed executions.
func newWorkflow(ctx *pulumi.Context, cfg settings, prefix, accountID string, st *storage,
	fns functions) (*workflow, error) {
	w := &workflow{}
	name := prefix + "-pipeline"
	var err error

	// Step Functions delivers execution logs here; /aws/vendedlogs/ keeps the
	// log resource policy AWS maintains short.
	w.logGroup, err = cloudwatch.NewLogGroup(ctx, "pipeline", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/vendedlogs/states/" + name),
		RetentionInDays: pulumi.Int(cfg.logRetentionDays),
	})
	if err != nil {
		return nil, err
	}

	lambdas := []*function{fns.fetch, fns.resize, fns.persist, fns.notify}
	var invoke []pulumi.StringInput
	for _, f := range lambdas {
		invoke = append(invoke, f.fn.Arn, pulumi.Sprintf("%s:*", f.fn.Arn))
	}
	g := grants{"lambda:InvokeFunction": invoke}
	// Log delivery and X-Ray actions have no resource-level permissions.
	for _, a := range stateMachineStarActions {
		g[a] = resources(everything)
	}

	// The state machine's own role: it invokes its four Lambdas and nothing
	// else.
	if w.role, err = newServiceRole(ctx, "pipeline", "states.amazonaws.com", g, nil); err != nil {
		return nil, err
	}

	definition := pulumi.All(fns.fetch.fn.Arn, fns.resize.fn.Arn, fns.persist.fn.Arn,
		fns.notify.fn.Arn).ApplyT(func(arns []any) (string, error) {
		return statemachine.Render(map[string]string{
			statemachine.FetchFunction:   arns[0].(string),
			statemachine.ResizeFunction:  arns[1].(string),
			statemachine.PersistFunction: arns[2].(string),
			statemachine.NotifyFunction:  arns[3].(string),
		})
	}).(pulumi.StringOutput)

	// STANDARD, not EXPRESS: history is kept and a failed execution can be
	// redriven from the state that failed.
	w.stateMachine, err = sfn.NewStateMachine(ctx, "pipeline", &sfn.StateMachineArgs{
		Name:       pulumi.String(name),
		Type:       pulumi.String("STANDARD"),
		RoleArn:    w.role.role.Arn,
		Definition: definition,
		LoggingConfiguration: &sfn.StateMachineLoggingConfigurationArgs{
			Level:                pulumi.String(cfg.stateMachineLogLevel),
			IncludeExecutionData: pulumi.Bool(true),
			LogDestination:       pulumi.Sprintf("%s:*", w.logGroup.Arn),
		},
		TracingConfiguration: &sfn.StateMachineTracingConfigurationArgs{
			Enabled: pulumi.Bool(true),
		},
	}, pulumi.DependsOn([]pulumi.Resource{w.role.policy}))
	if err != nil {
		return nil, err
	}

	if err := w.addPipe(ctx, cfg, prefix, st.uploads.queue); err != nil {
		return nil, err
	}
	err = w.addFailureRule(ctx, prefix, accountID, st.failureDLQ, fns.recordFailure)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// stateMachineStarActions are the state machine role's actions that AWS only
// grants on "*": CloudWatch Logs vended delivery and X-Ray.
var stateMachineStarActions = []string{
	"logs:CreateLogDelivery",
	"logs:GetLogDelivery",
	"logs:UpdateLogDelivery",
	"logs:DeleteLogDelivery",
	"logs:ListLogDeliveries",
	"logs:PutResourcePolicy",
	"logs:DescribeResourcePolicies",
	"logs:DescribeLogGroups",
	"xray:PutTraceSegments",
	"xray:PutTelemetryRecords",
	"xray:GetSamplingRules",
	"xray:GetSamplingTargets",
}

// pipeLogDestination shortens a long type name of the pipes package.
type pipeLogDestination = pipes.PipeLogConfigurationCloudwatchLogsLogDestinationArgs

// addPipe creates the EventBridge Pipe from the upload queue to the state
// machine.
func (w *workflow) addPipe(ctx *pulumi.Context, cfg settings, prefix string,
	queue *sqs.Queue) error {
	var err error

	// The pipe's own log of records it failed to deliver.
	w.pipeLogGroup, err = cloudwatch.NewLogGroup(ctx, "uploads-pipe", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/vendedlogs/pipes/" + prefix + "-uploads"),
		RetentionInDays: pulumi.Int(cfg.logRetentionDays),
	})
	if err != nil {
		return err
	}

	// The pipe's own role: read and delete from the queue, start executions,
	// write its log.
	w.pipeRole, err = newServiceRole(ctx, "uploads-pipe", "pipes.amazonaws.com", grants{
		"sqs:ReceiveMessage":     resources(queue.Arn),
		"sqs:DeleteMessage":      resources(queue.Arn),
		"sqs:GetQueueAttributes": resources(queue.Arn),
		"states:StartExecution":  resources(w.stateMachine.Arn),
		"logs:CreateLogStream":   resources(pulumi.Sprintf("%s:*", w.pipeLogGroup.Arn)),
		"logs:PutLogEvents":      resources(pulumi.Sprintf("%s:*", w.pipeLogGroup.Arn)),
	}, nil)
	if err != nil {
		return err
	}

	// One S3 event per execution, ObjectCreated only (S3's test event is
	// dropped here); FIRE_AND_FORGET because the workflow is STANDARD.
	w.pipe, err = pipes.NewPipe(ctx, "uploads", &pipes.PipeArgs{
		Name:    pulumi.String(prefix + "-uploads"),
		RoleArn: w.pipeRole.role.Arn,
		Source:  queue.Arn,
		Target:  w.stateMachine.Arn,
		SourceParameters: &pipes.PipeSourceParametersArgs{
			SqsQueueParameters: &pipes.PipeSourceParametersSqsQueueParametersArgs{
				BatchSize: pulumi.Int(1),
			},
			FilterCriteria: &pipes.PipeSourceParametersFilterCriteriaArgs{
				Filters: pipes.PipeSourceParametersFilterCriteriaFilterArray{
					&pipes.PipeSourceParametersFilterCriteriaFilterArgs{
						Pattern: pulumi.String(s3event.PipeFilterPattern),
					},
				},
			},
		},
		TargetParameters: &pipes.PipeTargetParametersArgs{
			StepFunctionStateMachineParameters: &pipes.
				PipeTargetParametersStepFunctionStateMachineParametersArgs{
				InvocationType: pulumi.String("FIRE_AND_FORGET"),
			},
		},
		LogConfiguration: &pipes.PipeLogConfigurationArgs{
			Level:                        pulumi.String("ERROR"),
			CloudwatchLogsLogDestination: &pipeLogDestination{LogGroupArn: w.pipeLogGroup.Arn},
		},
	}, pulumi.DependsOn([]pulumi.Resource{w.pipeRole.policy}))
	return err
}

// addFailureRule routes the state machine's failed, timed-out and aborted
// executions to the failure recorder.
func (w *workflow) addFailureRule(ctx *pulumi.Context, prefix, accountID string,
	dlq *sqs.Queue, recorder *function) error {
	var err error
	pattern := w.stateMachine.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"source":      []string{"aws.states"},
			"detail-type": []string{"Step Functions Execution Status Change"},
			"detail": map[string]any{
				"status":          failedStatuses,
				"stateMachineArn": []string{arn},
			},
		})
		return string(b), err
	}).(pulumi.StringOutput)

	// Step Functions announces every status change on the default bus; this
	// rule keeps the endings the pipeline did not write itself.
	w.failureRule, err = cloudwatch.NewEventRule(ctx, "execution-failed", &cloudwatch.EventRuleArgs{
		Name:         pulumi.String(prefix + "-execution-failed"),
		Description:  pulumi.String("imagepipe executions that FAILED, TIMED_OUT or were ABORTED"),
		EventPattern: pattern,
	})
	if err != nil {
		return err
	}

	// Lets EventBridge invoke the recorder for this rule only.
	if w.failurePermission, err = allowInvoke(ctx, "recordfailure-events", recorder,
		"events.amazonaws.com", w.failureRule.Arn); err != nil {
		return err
	}

	// Lets this rule, and only it, park undeliverable events in the DLQ.
	w.failureDLQPolicy, err = sqs.NewQueuePolicy(ctx, "failure-events-dlq", &sqs.QueuePolicyArgs{
		QueueUrl: dlq.Url,
		Policy: pulumi.All(dlq.Arn, w.failureRule.Arn).ApplyT(func(v []any) string {
			return servicePublishPolicy("events.amazonaws.com", v[0].(string), v[1].(string),
				accountID)
		}).(pulumi.StringOutput),
	})
	if err != nil {
		return err
	}

	// Retries for a day; what still fails is kept in the DLQ, so no failed
	// execution goes unrecorded silently.
	w.failureTarget, err = cloudwatch.NewEventTarget(ctx, "execution-failed",
		&cloudwatch.EventTargetArgs{
			Rule: w.failureRule.Name,
			Arn:  recorder.fn.Arn,
			RetryPolicy: &cloudwatch.EventTargetRetryPolicyArgs{
				MaximumEventAgeInSeconds: pulumi.Int(failureEventMaxAgeSeconds),
				MaximumRetryAttempts:     pulumi.Int(failureEventMaxRetries),
			},
			DeadLetterConfig: &cloudwatch.EventTargetDeadLetterConfigArgs{Arn: dlq.Arn},
		}, pulumi.DependsOn([]pulumi.Resource{w.failurePermission, w.failureDLQPolicy}))
	return err
}
