package main

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// alarmPeriod is the period of the alarms on AWS's own metrics.
const alarmPeriod = 300

// monitoring is the metrics schedule, the alarms and the dashboard.
type monitoring struct {
	metricsRule       *cloudwatch.EventRule
	metricsTarget     *cloudwatch.EventTarget
	metricsPermission *lambda.Permission
	alarms            []*cloudwatch.MetricAlarm
	dashboard         *cloudwatch.Dashboard
}

// alarmSpec is one alarm that notifies the topic.
type alarmSpec struct {
	name        string
	description string
	namespace   string
	metric      string
	dimensions  pulumi.StringMap
	statistic   string
	period      int
	comparison  string
	threshold   float64
}

// newMonitoring creates the metrics schedule, the alarms and the dashboard.
func newMonitoring(ctx *pulumi.Context, cfg settings, prefix, region string, st *storage,
	fns functions, wf *workflow, api *httpAPI) (*monitoring, error) {
	m := &monitoring{}
	var err error

	schedule, err := scheduleExpression(cfg.metricsRate)
	if err != nil {
		return nil, err
	}

	// Runs the metrics Lambda: S3's own storage metrics are daily, this
	// gives fresh sizes and a per-prefix breakdown.
	m.metricsRule, err = cloudwatch.NewEventRule(ctx, "metrics-schedule", &cloudwatch.EventRuleArgs{
		Name:               pulumi.String(prefix + "-metrics"),
		Description:        pulumi.String("imagepipe bucket metrics into " + metricsNamespace),
		ScheduleExpression: pulumi.String(schedule),
	})
	if err != nil {
		return nil, err
	}

	// Lets EventBridge invoke the metrics Lambda for this schedule only.
	m.metricsPermission, err = allowInvoke(ctx, "metrics-schedule", fns.metrics,
		"events.amazonaws.com", m.metricsRule.Arn)
	if err != nil {
		return nil, err
	}

	// A missed run is simply the next run's job, so EventBridge's default
	// retries are enough here.
	m.metricsTarget, err = cloudwatch.NewEventTarget(ctx, "metrics-schedule",
		&cloudwatch.EventTargetArgs{
			Rule: m.metricsRule.Name,
			Arn:  fns.metrics.fn.Arn,
		}, pulumi.DependsOn([]pulumi.Resource{m.metricsPermission}))
	if err != nil {
		return nil, err
	}

	for _, spec := range alarmSpecs(cfg, st, fns, wf) {
		alarm, err := newAlarm(ctx, prefix, spec, st.topic.Arn)
		if err != nil {
			return nil, err
		}
		m.alarms = append(m.alarms, alarm)
	}

	// One page with the pipeline's flow, its failures and the bucket sizes.
	m.dashboard, err = cloudwatch.NewDashboard(ctx, "pipeline", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(prefix),
		DashboardBody: dashboardBody(region, st, fns, wf, api),
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// alarmSpecs lists every alarm of the system.
func alarmSpecs(cfg settings, st *storage, fns functions, wf *workflow) []alarmSpec {
	atLeastOne := func(name, description, namespace, metric, statistic string,
		dims pulumi.StringMap) alarmSpec {
		return alarmSpec{name: name, description: description, namespace: namespace,
			metric: metric, dimensions: dims, statistic: statistic, period: alarmPeriod,
			comparison: "GreaterThanOrEqualToThreshold", threshold: 1}
	}
	specs := []alarmSpec{
		atLeastOne("executions-failed", "An image pipeline execution failed, timed out "+
			"or was aborted; redrive it from the Step Functions console once fixed.",
			"AWS/States", "ExecutionsFailed", "Sum",
			pulumi.StringMap{"StateMachineArn": wf.stateMachine.Arn}),
		atLeastOne("uploads-dlq", "S3 events the pipe could not start an execution for "+
			"are waiting in the uploads DLQ.",
			"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
			pulumi.StringMap{"QueueName": st.uploads.dlq.Name}),
		atLeastOne("failure-events-dlq", "Failed executions the failure recorder could "+
			"not record are waiting in the failure-events DLQ.",
			"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
			pulumi.StringMap{"QueueName": st.failureDLQ.Name}),
	}
	for _, f := range fns.all() {
		dims := pulumi.StringMap{"FunctionName": f.fn.Name}
		specs = append(specs,
			atLeastOne(f.step+"-errors", "The "+f.step+" Lambda returned errors.",
				"AWS/Lambda", "Errors", "Sum", dims),
			atLeastOne(f.step+"-throttles", "The "+f.step+" Lambda was throttled.",
				"AWS/Lambda", "Throttles", "Sum", dims))
	}
	period := bucketSizePeriod(cfg.metricsRate)
	for _, b := range []struct {
		name string
		b    *bucket
	}{{"originals", st.originals}, {"processed", st.processed}} {
		specs = append(specs, alarmSpec{
			name:        b.name + "-bucket-size",
			description: "The " + b.name + " bucket holds more than bucketSizeAlarmBytes.",
			namespace:   metricsNamespace,
			metric:      "BucketSizeBytes",
			dimensions:  pulumi.StringMap{"BucketName": b.b.bucket.Bucket},
			statistic:   "Maximum",
			period:      period,
			comparison:  "GreaterThanThreshold",
			threshold:   cfg.bucketSizeAlarmBytes,
		})
	}
	return specs
}

// bucketSizePeriod matches the bucket size alarm's period to the metrics
// schedule, so that every period holds a data point: at least 5 minutes, at
// most the day CloudWatch allows.
func bucketSizePeriod(rate string) int {
	secs, err := rateSeconds(trimRate(rate))
	if err != nil {
		return 86400
	}
	return min(max(secs, 300), 86400)
}

// trimRate returns the inside of "rate(...)".
func trimRate(rate string) string {
	if len(rate) > 6 && rate[:5] == "rate(" && rate[len(rate)-1] == ')' {
		return rate[5 : len(rate)-1]
	}
	return rate
}

// newAlarm creates one alarm that notifies the topic when it fires and when
// it clears.
func newAlarm(ctx *pulumi.Context, prefix string, spec alarmSpec,
	topicArn pulumi.StringOutput) (*cloudwatch.MetricAlarm, error) {
	// Missing data is not breaching: an idle pipeline is a healthy one.
	return cloudwatch.NewMetricAlarm(ctx, spec.name, &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(prefix + "-" + spec.name),
		AlarmDescription:   pulumi.String(spec.description),
		Namespace:          pulumi.String(spec.namespace),
		MetricName:         pulumi.String(spec.metric),
		Dimensions:         spec.dimensions,
		Statistic:          pulumi.String(spec.statistic),
		Period:             pulumi.Int(spec.period),
		EvaluationPeriods:  pulumi.Int(1),
		ComparisonOperator: pulumi.String(spec.comparison),
		Threshold:          pulumi.Float64(spec.threshold),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       pulumi.Array{topicArn},
		OkActions:          pulumi.Array{topicArn},
	})
}

// dashboardBody renders the dashboard's widgets once every name is known.
func dashboardBody(region string, st *storage, fns functions, wf *workflow,
	api *httpAPI) pulumi.StringOutput {
	inputs := []any{wf.stateMachine.Arn, st.uploads.queue.Name, st.uploads.dlq.Name,
		st.failureDLQ.Name, st.originals.bucket.Bucket, st.processed.bucket.Bucket,
		api.api.ID().ToStringOutput()}
	for _, f := range fns.all() {
		inputs = append(inputs, f.fn.Name)
	}
	return pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		s := func(i int) string { return v[i].(string) }
		sm, queue, dlq, failDLQ, originals, processed, apiID := s(0), s(1), s(2), s(3), s(4),
			s(5), s(6)
		var fnNames []string
		for i := 7; i < len(v); i++ {
			fnNames = append(fnNames, s(i))
		}

		perFunction := func(metric, stat string) [][]any {
			var out [][]any
			for _, n := range fnNames {
				out = append(out, []any{"AWS/Lambda", metric, "FunctionName", n,
					map[string]string{"stat": stat}})
			}
			return out
		}
		widgets := []map[string]any{
			metricWidget(region, "Executions", "Sum", 0, 0, [][]any{
				{"AWS/States", "ExecutionsStarted", "StateMachineArn", sm},
				{"AWS/States", "ExecutionsSucceeded", "StateMachineArn", sm},
				{"AWS/States", "ExecutionsFailed", "StateMachineArn", sm},
				{"AWS/States", "ExecutionsTimedOut", "StateMachineArn", sm},
			}),
			metricWidget(region, "Queues (messages, oldest age s)", "Maximum", 12, 0, [][]any{
				{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue},
				{"AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue},
				{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq},
				{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", failDLQ},
			}),
			metricWidget(region, "Lambda duration p99 (ms)", "p99", 0, 6,
				perFunction("Duration", "p99")),
			metricWidget(region, "Lambda errors", "Sum", 12, 6,
				perFunction("Errors", "Sum")),
			metricWidget(region, "API requests", "Sum", 0, 12, [][]any{
				{"AWS/ApiGateway", "Count", "ApiId", apiID, "Stage", "$default"},
				{"AWS/ApiGateway", "4xx", "ApiId", apiID, "Stage", "$default"},
				{"AWS/ApiGateway", "5xx", "ApiId", apiID, "Stage", "$default"},
			}),
			metricWidget(region, "Bucket size (bytes) and objects", "Maximum", 12, 12, [][]any{
				{metricsNamespace, "BucketSizeBytes", "BucketName", originals},
				{metricsNamespace, "BucketSizeBytes", "BucketName", processed},
				{metricsNamespace, "NumberOfObjects", "BucketName", originals,
					map[string]string{"yAxis": "right"}},
				{metricsNamespace, "NumberOfObjects", "BucketName", processed,
					map[string]string{"yAxis": "right"}},
			}),
		}
		b, err := json.Marshal(map[string]any{"widgets": widgets})
		return string(b), err
	}).(pulumi.StringOutput)
}

// metricWidget is one time-series graph of the dashboard, half a row wide.
func metricWidget(region, title, stat string, x, y int, metrics [][]any) map[string]any {
	return map[string]any{
		"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
		"properties": map[string]any{
			"title": title, "region": region, "view": "timeSeries", "stat": stat,
			"period": alarmPeriod, "metrics": metrics,
		},
	}
}
