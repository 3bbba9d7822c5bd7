package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/s3event"
	"github.com/imagepipe/imagepipe/statemachine"
)

// Resource type tokens the tests look up.
const (
	tBucket       = "aws:s3/bucketV2:BucketV2"
	tPublicAccess = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tEncryption   = "aws:s3/bucketServerSideEncryptionConfigurationV2:" +
		"BucketServerSideEncryptionConfigurationV2"
	tBucketPolicy = "aws:s3/bucketPolicy:BucketPolicy"
	tCORS         = "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2"
	tLifecycle    = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tNotification = "aws:s3/bucketNotification:BucketNotification"
	tQueue        = "aws:sqs/queue:Queue"
	tQueuePolicy  = "aws:sqs/queuePolicy:QueuePolicy"
	tTable        = "aws:dynamodb/table:Table"
	tSubscription = "aws:sns/topicSubscription:TopicSubscription"
	tFunction     = "aws:lambda/function:Function"
	tPermission   = "aws:lambda/permission:Permission"
	tLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	tRole         = "aws:iam/role:Role"
	tRolePolicy   = "aws:iam/rolePolicy:RolePolicy"
	tStateMachine = "aws:sfn/stateMachine:StateMachine"
	tPipe         = "aws:pipes/pipe:Pipe"
	tEventRule    = "aws:cloudwatch/eventRule:EventRule"
	tEventTarget  = "aws:cloudwatch/eventTarget:EventTarget"
	tAlarm        = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tDashboard    = "aws:cloudwatch/dashboard:Dashboard"
	tClient       = "aws:cognito/userPoolClient:UserPoolClient"
	tAuthorizer   = "aws:apigatewayv2/authorizer:Authorizer"
	tRoute        = "aws:apigatewayv2/route:Route"
	tIntegration  = "aws:apigatewayv2/integration:Integration"
	tAPI          = "aws:apigatewayv2/api:Api"
	tStage        = "aws:apigatewayv2/stage:Stage"
)

// The ARNs the mocks give the stack's resources.
var (
	originalsName   = "originals" + autoSuffix
	processedName   = "processed" + autoSuffix
	originalsArn    = "arn:aws:s3:::" + originalsName
	processedArn    = "arn:aws:s3:::" + processedName
	queueArn        = arnOf("sqs", "uploads"+autoSuffix)
	dlqArn          = arnOf("sqs", "uploads-dlq"+autoSuffix)
	failureDLQArn   = arnOf("sqs", "failure-events-dlq"+autoSuffix)
	tableName       = testPrefix + "-images"
	tableArn        = arnOf("dynamodb", "table/"+tableName)
	topicArn        = arnOf("sns", "notifications"+autoSuffix)
	stateMachineArn = arnOf("states", "stateMachine:"+testPrefix+"-pipeline")
	failureRuleArn  = arnOf("events", "rule/"+testPrefix+"-execution-failed")
	metricsRuleArn  = arnOf("events", "rule/"+testPrefix+"-metrics")
	apiEndpoint     = "https://" + testAPIID + ".execute-api." + testRegion + ".amazonaws.com"
)

// arnOf is a regional ARN of the test account.
func arnOf(service, rest string) string {
	return "arn:aws:" + service + ":" + testRegion + ":" + testAccount + ":" + rest
}

// lambdaArn is the mocked ARN of a step's function.
func lambdaArn(step string) string { return arnOf("lambda", "function:"+testPrefix+"-"+step) }

// logStreams is the resource of every stream in a log group.
func logStreams(group string) string { return arnOf("logs", "log-group:"+group+":*") }

// starExceptions are the only grants on "*" a role may hold, each because
// AWS supports no resource-level permission for the action.
var starExceptions = map[string][]string{
	// CloudWatch metrics have no ARN; the namespace condition narrows it.
	metricsStep: {"cloudwatch:PutMetricData", "xray:PutTraceSegments",
		"xray:PutTelemetryRecords"},
	// Vended log delivery and X-Ray accept only "*".
	"pipeline": stateMachineStarActions,
}

func init() {
	// Every Lambda writes X-Ray segments when lambdaTracing is on (default).
	for _, step := range steps {
		if step != metricsStep {
			starExceptions[step] = []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
		}
	}
}

// expectedGrants is every role's exact action→resources map with the default
// configuration.
func expectedGrants() map[string]map[string][]string {
	uploads := originalsArn + "/user-uploads/*"
	lambdaLogs := func(step string) map[string][]string {
		l := logStreams("/aws/lambda/" + testPrefix + "-" + step)
		return map[string][]string{
			"logs:CreateLogStream":     {l},
			"logs:PutLogEvents":        {l},
			"xray:PutTraceSegments":    {"*"},
			"xray:PutTelemetryRecords": {"*"},
		}
	}
	with := func(step string, g map[string][]string) map[string][]string {
		out := lambdaLogs(step)
		maps.Copy(out, g)
		return out
	}
	var invoke []string
	for _, s := range []string{fetchStep, resizeStep, persistStep, notifyStep} {
		invoke = append(invoke, lambdaArn(s), lambdaArn(s)+":*")
	}
	pipeline := map[string][]string{"lambda:InvokeFunction": invoke}
	for _, a := range stateMachineStarActions {
		pipeline[a] = []string{"*"}
	}
	pipeLogs := logStreams("/aws/vendedlogs/pipes/" + testPrefix + "-uploads")

	return map[string]map[string][]string{
		fetchStep: with(fetchStep, map[string][]string{
			"s3:GetObject":  {uploads},
			"s3:ListBucket": {originalsArn},
		}),
		resizeStep: with(resizeStep, map[string][]string{
			"s3:GetObject": {uploads},
			"s3:PutObject": {processedArn + "/processed/*"},
		}),
		persistStep: with(persistStep, map[string][]string{
			"dynamodb:PutItem":    {tableArn},
			"dynamodb:UpdateItem": {tableArn},
		}),
		notifyStep: with(notifyStep, map[string][]string{
			"sns:Publish": {topicArn}, "dynamodb:UpdateItem": {tableArn},
		}),
		recordFailureStep: with(recordFailureStep, map[string][]string{
			"dynamodb:GetItem":    {tableArn},
			"dynamodb:PutItem":    {tableArn},
			"dynamodb:UpdateItem": {tableArn},
			"sns:Publish":         {topicArn},
			"sqs:SendMessage":     {failureDLQArn},
		}),
		uploadURLStep: with(uploadURLStep, map[string][]string{"s3:PutObject": {uploads}}),
		metricsStep: with(metricsStep, map[string][]string{
			"s3:ListBucket":            {originalsArn, processedArn},
			"cloudwatch:PutMetricData": {"*"},
		}),
		imagesStep: with(imagesStep, map[string][]string{
			"dynamodb:Query":   {tableArn + "/index/" + metadata.UserIndex},
			"dynamodb:GetItem": {tableArn},
			"s3:GetObject":     {processedArn + "/processed/*"},
		}),
		"pipeline": pipeline,
		"uploads-pipe": {
			"sqs:ReceiveMessage":     {queueArn},
			"sqs:DeleteMessage":      {queueArn},
			"sqs:GetQueueAttributes": {queueArn},
			"states:StartExecution":  {stateMachineArn},
			"logs:CreateLogStream":   {pipeLogs},
			"logs:PutLogEvents":      {pipeLogs},
		},
	}
}

// union returns the keys of both maps.
func union(a, b map[string][]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// roleServices is the service that assumes each role.
var roleServices = map[string]string{
	"pipeline":     "states.amazonaws.com",
	"uploads-pipe": "pipes.amazonaws.com",
}

// parsedPolicy is a role policy read back from its JSON.
type parsedPolicy struct {
	grants     map[string][]string
	conditions conditions
}

// parsePolicy reads a policy document into its action→resources map.
func parsePolicy(t *testing.T, doc string) parsedPolicy {
	t.Helper()
	var d policyDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, doc)
	}
	if d.Version != "2012-10-17" {
		t.Errorf("policy version %q", d.Version)
	}
	p := parsedPolicy{grants: map[string][]string{}, conditions: conditions{}}
	for _, s := range d.Statement {
		if s.Effect != "Allow" || s.Principal != nil {
			t.Errorf("statement %+v: a role policy only allows, and names no principal", s)
		}
		for _, a := range s.Action {
			p.grants[a] = append(p.grants[a], s.Resource...)
			if s.Condition != nil {
				p.conditions[a] = s.Condition
			}
		}
	}
	for a := range p.grants {
		slices.Sort(p.grants[a])
	}
	return p
}

// rolePolicies returns each role's parsed policy by the role's logical name.
func rolePolicies(t *testing.T, m *mocks) map[string]parsedPolicy {
	t.Helper()
	out := map[string]parsedPolicy{}
	for _, p := range m.all(tRolePolicy) {
		if role := p.plain["role"]; role != p.name+autoSuffix {
			t.Errorf("policy %s is attached to role %v, not its own", p.name, role)
		}
		if _, dup := out[p.name]; dup {
			t.Errorf("role %s has two policies", p.name)
		}
		out[p.name] = parsePolicy(t, p.plain["policy"].(string))
	}
	return out
}

func TestRolePoliciesAreExactlyTheExpectedGrants(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	got := rolePolicies(t, m)
	want := expectedGrants()

	if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
		t.Fatalf("role policies %v, want one per role %v", g, w)
	}
	for role, w := range want {
		for a := range w {
			slices.Sort(w[a])
		}
		g := got[role].grants
		for _, a := range slices.Sorted(maps.Keys(union(g, w))) {
			if !slices.Equal(g[a], w[a]) {
				t.Errorf("role %s: %s on %q, want %q", role, a, g[a], w[a])
			}
		}
	}

	// Each role is assumed by its own service only.
	for _, r := range m.all(tRole) {
		service := roleServices[r.name]
		if service == "" {
			service = "lambda.amazonaws.com"
		}
		var doc policyDocument
		if err := json.Unmarshal([]byte(r.plain["assumeRolePolicy"].(string)), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Statement) != 1 || fmt.Sprint(doc.Statement[0].Principal) !=
			fmt.Sprint(map[string]any{"Service": service}) ||
			!slices.Equal(doc.Statement[0].Action, []string{"sts:AssumeRole"}) {
			t.Errorf("role %s trust policy %+v, want only %s", r.name, doc.Statement, service)
		}
	}
	if n := len(m.all(tRole)); n != len(want) {
		t.Errorf("%d roles, want %d: one per Lambda, the state machine and the pipe", n, len(want))
	}
}

func TestNoWildcardBeyondTheDocumentedExceptions(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	for role, p := range rolePolicies(t, m) {
		for action, res := range p.grants {
			if strings.Contains(action, "*") {
				t.Errorf("role %s: wildcard action %s", role, action)
			}
			for _, r := range res {
				if r == "*" {
					if !slices.Contains(starExceptions[role], action) {
						t.Errorf("role %s: %s on \"*\" is not a documented exception", role, action)
					}
					continue
				}
				// A wildcard may only end a fixed ARN: objects under a prefix,
				// streams of one log group, versions of one function.
				if strings.Count(r, "*") > 1 || (strings.Contains(r, "*") &&
					!strings.HasSuffix(r, "/*") && !strings.HasSuffix(r, ":*")) {
					t.Errorf("role %s: %s on %s is wider than one resource", role, action, r)
				}
			}
		}
	}

	// The metrics exception is narrowed to its own namespace.
	cond := rolePolicies(t, m)[metricsStep].conditions["cloudwatch:PutMetricData"]
	if got := cond["StringEquals"]["cloudwatch:namespace"]; got != "CustomS3" {
		t.Errorf("PutMetricData condition %v, want cloudwatch:namespace = CustomS3", cond)
	}
}

func TestPipeFromQueueToStateMachine(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	p := m.one(t, tPipe, "uploads")

	if got := p.plain["source"]; got != queueArn {
		t.Errorf("pipe source %v, want the uploads queue %s", got, queueArn)
	}
	if got := path(p.plain, "sourceParameters", "sqsQueueParameters", "batchSize"); got != 1.0 {
		t.Errorf("batch size %v, want 1", got)
	}
	filters, _ := path(p.plain, "sourceParameters", "filterCriteria", "filters").([]any)
	if len(filters) != 1 || path(filters[0], "pattern") != s3event.PipeFilterPattern {
		t.Errorf("filters %v, want exactly s3event.PipeFilterPattern", filters)
	}
	if got := p.plain["target"]; got != stateMachineArn {
		t.Errorf("pipe target %v, want the state machine %s", got, stateMachineArn)
	}
	inv := path(p.plain, "targetParameters", "stepFunctionStateMachineParameters",
		"invocationType")
	if inv != "FIRE_AND_FORGET" {
		t.Errorf("invocation type %v, want FIRE_AND_FORGET", inv)
	}
	pipeRole := "arn:aws:iam::" + testAccount + ":role/uploads-pipe" + autoSuffix
	if got := p.plain["roleArn"]; got != pipeRole {
		t.Errorf("pipe role %v, want its own", got)
	}
	if !slices.Contains(p.deps, urn(tRolePolicy, "uploads-pipe")) {
		t.Errorf("the pipe does not wait for its role's policy: %v", p.deps)
	}
}

func TestStateMachineRunsTheDefinitionWithEveryARN(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	sm := m.one(t, tStateMachine, "pipeline")

	want, err := statemachine.Render(map[string]string{
		statemachine.FetchFunction:   lambdaArn(fetchStep),
		statemachine.ResizeFunction:  lambdaArn(resizeStep),
		statemachine.PersistFunction: lambdaArn(persistStep),
		statemachine.NotifyFunction:  lambdaArn(notifyStep),
	})
	if err != nil {
		t.Fatal(err)
	}
	def, _ := sm.plain["definition"].(string)
	if def != want {
		t.Errorf("definition differs from statemachine.Render with the Lambda ARNs:\n%s", def)
	}
	if strings.Contains(def, "${") {
		t.Errorf("a placeholder is left in the definition")
	}
	var doc struct {
		States map[string]struct{ Resource string }
	}
	if err := json.Unmarshal([]byte(def), &doc); err != nil {
		t.Fatal(err)
	}
	for state, step := range map[string]string{"Fetch": fetchStep, "Resize": resizeStep,
		"Persist": persistStep, "Notify": notifyStep, "RecordRejection": persistStep,
		"NotifyRejection": notifyStep} {
		if got := doc.States[state].Resource; got != lambdaArn(step) {
			t.Errorf("state %s runs %q, want %s", state, got, lambdaArn(step))
		}
	}

	if sm.plain["type"] != "STANDARD" {
		t.Errorf("type %v, want STANDARD", sm.plain["type"])
	}
	logging := sm.plain["loggingConfiguration"]
	wantLogs := arnOf("logs", "log-group:/aws/vendedlogs/states/"+testPrefix+"-pipeline:*")
	if path(logging, "level") != "ERROR" || path(logging, "includeExecutionData") != true ||
		path(logging, "logDestination") != wantLogs {
		t.Errorf("logging %v, want ERROR with execution data to %s", logging, wantLogs)
	}
	if path(sm.plain, "tracingConfiguration", "enabled") != true {
		t.Errorf("X-Ray tracing is off")
	}
}

func TestBucketsArePrivateEncryptedAndTLSOnly(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	for name, arn := range map[string]string{"originals": originalsArn,
		"processed": processedArn} {
		bucketName := strings.TrimPrefix(arn, "arn:aws:s3:::")

		pab := m.one(t, tPublicAccess, name)
		for _, flag := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
			"restrictPublicBuckets"} {
			if pab.plain[flag] != true || pab.plain["bucket"] != bucketName {
				t.Errorf("%s: %s is %v on %v", name, flag, pab.plain[flag], pab.plain["bucket"])
			}
		}

		enc := m.one(t, tEncryption, name)
		rules, _ := enc.plain["rules"].([]any)
		if enc.plain["bucket"] != bucketName || len(rules) != 1 || path(rules[0],
			"applyServerSideEncryptionByDefault", "sseAlgorithm") != "AES256" {
			t.Errorf("%s: encryption %v", name, enc.plain)
		}

		var doc policyDocument
		pol := m.one(t, tBucketPolicy, name)
		if err := json.Unmarshal([]byte(pol.plain["policy"].(string)), &doc); err != nil {
			t.Fatal(err)
		}
		s := doc.Statement
		if pol.plain["bucket"] != bucketName || len(s) != 1 || s[0].Effect != "Deny" ||
			s[0].Principal != "*" || !slices.Equal(s[0].Resource, []string{arn, arn + "/*"}) ||
			s[0].Condition["Bool"]["aws:SecureTransport"] != "false" {
			t.Errorf("%s: bucket policy %+v, want a TLS-only deny", name, s)
		}

		rulesL, _ := m.one(t, tLifecycle, name).plain["rules"].([]any)
		if len(rulesL) != 1 || path(rulesL[0], "abortIncompleteMultipartUpload",
			"daysAfterInitiation") != 1.0 || path(rulesL[0], "status") != "Enabled" {
			t.Errorf("%s: lifecycle %v, want incomplete uploads aborted", name, rulesL)
		}
	}

	cors := m.all(tCORS)
	if len(cors) != 1 || cors[0].plain["bucket"] != originalsName {
		t.Fatalf("CORS on %v, want on originals only", cors)
	}
	rule := cors[0].plain["corsRules"].([]any)[0]
	if !slices.Equal(strs(path(rule, "allowedMethods")), []string{"PUT"}) ||
		!slices.Equal(strs(path(rule, "allowedOrigins")), []string{defaultCORSOrigins}) ||
		!slices.Contains(strs(path(rule, "allowedHeaders")), "content-type") ||
		!slices.Contains(strs(path(rule, "allowedHeaders")), "content-length") ||
		!slices.Equal(strs(path(rule, "exposeHeaders")), []string{"ETag"}) {
		t.Errorf("CORS rule %v", rule)
	}
}

func TestQueueAdmitsOnlyTheOriginalsBucket(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	q := m.one(t, tQueue, "uploads")
	var redrive struct {
		DeadLetterTargetArn string
		MaxReceiveCount     int
	}
	if err := json.Unmarshal([]byte(q.plain["redrivePolicy"].(string)), &redrive); err != nil {
		t.Fatal(err)
	}
	if redrive.DeadLetterTargetArn != dlqArn || redrive.MaxReceiveCount != 5 {
		t.Errorf("redrive %+v, want %s after 5 receives", redrive, dlqArn)
	}
	for _, r := range m.all(tQueue) {
		if r.plain["sqsManagedSseEnabled"] != true {
			t.Errorf("queue %s is not encrypted", r.name)
		}
		if size, _ := r.plain["maxMessageSize"].(float64); size < 64*1024 {
			t.Errorf("queue %s holds messages of %v bytes, want at least 64 KB", r.name, size)
		}
	}
	if v, _ := q.plain["visibilityTimeoutSeconds"].(float64); v < 30 {
		t.Errorf("visibility timeout %v s is too short for the pipe", v)
	}

	pol := m.one(t, tQueuePolicy, "uploads")
	var doc policyDocument
	if err := json.Unmarshal([]byte(pol.plain["policy"].(string)), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Statement
	if len(s) != 1 || fmt.Sprint(s[0].Principal) != "map[Service:s3.amazonaws.com]" ||
		!slices.Equal(s[0].Action, []string{"sqs:SendMessage"}) ||
		!slices.Equal(s[0].Resource, []string{queueArn}) ||
		s[0].Condition["ArnEquals"]["aws:SourceArn"] != originalsArn ||
		s[0].Condition["StringEquals"]["aws:SourceAccount"] != testAccount {
		t.Errorf("queue policy %+v, want S3 from %s in %s only", s, originalsArn, testAccount)
	}

	n := m.one(t, tNotification, "originals")
	queues, _ := n.plain["queues"].([]any)
	if n.plain["bucket"] != originalsName || len(queues) != 1 ||
		path(queues[0], "queueArn") != queueArn ||
		path(queues[0], "filterPrefix") != "user-uploads/" ||
		!slices.Equal(strs(path(queues[0], "events")), []string{"s3:ObjectCreated:*"}) {
		t.Errorf("notification %v", n.plain)
	}
	if !slices.Contains(n.deps, urn(tQueuePolicy, "uploads")) {
		t.Errorf("the notification does not wait for the queue policy: %v", n.deps)
	}
}

func TestTableMatchesTheMetadataSchema(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	tbl := m.one(t, tTable, "images")
	if tbl.plain["name"] != tableName || tbl.plain["billingMode"] != "PAY_PER_REQUEST" ||
		tbl.plain["hashKey"] != metadata.KeyAttribute ||
		path(tbl.plain, "pointInTimeRecovery", "enabled") != true {
		t.Errorf("table %v", tbl.plain)
	}
	gsis, _ := tbl.plain["globalSecondaryIndexes"].([]any)
	if len(gsis) != 1 || path(gsis[0], "name") != metadata.UserIndex ||
		path(gsis[0], "hashKey") != metadata.UserAttribute ||
		path(gsis[0], "rangeKey") != metadata.TimeAttribute ||
		path(gsis[0], "projectionType") != "ALL" {
		t.Errorf("indexes %v", gsis)
	}
	attrs, _ := tbl.plain["attributes"].([]any)
	if len(attrs) != 3 {
		t.Errorf("attributes %v, want imageId, userId, lastModified", attrs)
	}
}

// expectedEnv is every Lambda's environment with the default configuration.
func expectedEnv() map[string]map[string]string {
	return map[string]map[string]string{
		fetchStep: {"ORIGINALS_BUCKET": originalsName, "MAX_BYTES": "52428800",
			"MAX_PIXELS": "50000000"},
		resizeStep: {"PROCESSED_BUCKET": processedName,
			"VARIANTS": "large:1600,medium:800,thumb:200", "JPEG_QUALITY": "85",
			"BACKGROUND": "#ffffff", "MAX_PIXELS": "50000000"},
		persistStep:       {"TABLE_NAME": tableName},
		notifyStep:        {"TOPIC_ARN": topicArn, "TABLE_NAME": tableName},
		recordFailureStep: {"TABLE_NAME": tableName, "TOPIC_ARN": topicArn},
		uploadURLStep: {"ORIGINALS_BUCKET": originalsName, "UPLOAD_URL_EXPIRY": "5m",
			"MAX_BYTES":             "52428800",
			"ALLOWED_CONTENT_TYPES": "image/jpeg,image/png,image/gif,image/webp",
			"CORS_ORIGINS":          "http://localhost:8080"},
		metricsStep: {"METRIC_BUCKETS": originalsName + "," + processedName,
			"METRICS_NAMESPACE": "CustomS3"},
		imagesStep: {"TABLE_NAME": tableName, "PROCESSED_BUCKET": processedName,
			"IMAGE_URL_EXPIRY": "5m", "CORS_ORIGINS": "http://localhost:8080"},
	}
}

// env returns a function's environment variables.
func env(r recorded) map[string]string {
	out := map[string]string{}
	vars, _ := path(r.plain, "environment", "variables").(map[string]any)
	for k, v := range vars {
		out[k], _ = v.(string)
	}
	return out
}

func TestLambdasAreArm64WithTheirEnvironment(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	fns := m.all(tFunction)
	if len(fns) != len(steps) {
		t.Fatalf("%d functions, want %d", len(fns), len(steps))
	}
	for _, f := range fns {
		name := testPrefix + "-" + f.name
		if f.plain["name"] != name || f.plain["runtime"] != "provided.al2023" ||
			!slices.Equal(strs(f.plain["architectures"]), []string{"arm64"}) ||
			f.plain["handler"] != "bootstrap" {
			t.Errorf("%s: %v %v %v %v", f.name, f.plain["name"], f.plain["runtime"],
				f.plain["architectures"], f.plain["handler"])
		}
		if w := expectedEnv()[f.name]; !maps.Equal(env(f), w) {
			t.Errorf("%s environment\n got %v\nwant %v", f.name, env(f), w)
		}
		if got := f.inputs["code"].ArchiveValue().Path; filepath.Base(got) != f.name+".zip" {
			t.Errorf("%s code %q, want the zip of make build", f.name, got)
		}
		lc := f.plain["loggingConfig"]
		if path(lc, "logFormat") != "JSON" || path(lc, "logGroup") != "/aws/lambda/"+name {
			t.Errorf("%s logging %v", f.name, lc)
		}
		if path(f.plain, "tracingConfig", "mode") != "Active" {
			t.Errorf("%s tracing %v", f.name, f.plain["tracingConfig"])
		}
		if f.plain["role"] != "arn:aws:iam::"+testAccount+":role/"+f.name+autoSuffix {
			t.Errorf("%s runs as %v, not its own role", f.name, f.plain["role"])
		}
		lg := m.one(t, tLogGroup, f.name)
		if lg.plain["name"] != "/aws/lambda/"+name || lg.plain["retentionInDays"] != 30.0 {
			t.Errorf("%s log group %v", f.name, lg.plain)
		}
	}
	resize := m.one(t, tFunction, resizeStep)
	if resize.plain["memorySize"] != 1769.0 || resize.plain["timeout"] != 120.0 {
		t.Errorf("resize memory %v timeout %v, want 1769 MB and 120 s",
			resize.plain["memorySize"], resize.plain["timeout"])
	}
	rf := m.one(t, tFunction, recordFailureStep)
	if path(rf.plain, "deadLetterConfig", "targetArn") != failureDLQArn {
		t.Errorf("recordfailure async failures go to %v", rf.plain["deadLetterConfig"])
	}
}

func TestFailureRuleFeedsTheRecorder(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	rule := m.one(t, tEventRule, "execution-failed")
	var pattern struct {
		Source     []string `json:"source"`
		DetailType []string `json:"detail-type"`
		Detail     struct {
			Status          []string `json:"status"`
			StateMachineArn []string `json:"stateMachineArn"`
		} `json:"detail"`
	}
	if err := json.Unmarshal([]byte(rule.plain["eventPattern"].(string)), &pattern); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pattern.Source, []string{"aws.states"}) ||
		!slices.Equal(pattern.DetailType, []string{"Step Functions Execution Status Change"}) ||
		!slices.Equal(pattern.Detail.Status, []string{"FAILED", "TIMED_OUT", "ABORTED"}) ||
		!slices.Equal(pattern.Detail.StateMachineArn, []string{stateMachineArn}) {
		t.Errorf("pattern %+v", pattern)
	}

	target := m.one(t, tEventTarget, "execution-failed")
	if target.plain["arn"] != lambdaArn(recordFailureStep) ||
		path(target.plain, "deadLetterConfig", "arn") != failureDLQArn ||
		path(target.plain, "retryPolicy", "maximumRetryAttempts") == nil {
		t.Errorf("target %v", target.plain)
	}
	perm := m.one(t, tPermission, "recordfailure-events")
	if perm.plain["principal"] != "events.amazonaws.com" || perm.plain["sourceArn"] !=
		failureRuleArn || perm.plain["function"] != testPrefix+"-"+recordFailureStep {
		t.Errorf("permission %v", perm.plain)
	}
	var doc policyDocument
	pol := m.one(t, tQueuePolicy, "failure-events-dlq")
	if err := json.Unmarshal([]byte(pol.plain["policy"].(string)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 || doc.Statement[0].Condition["ArnEquals"]["aws:SourceArn"] !=
		failureRuleArn {
		t.Errorf("failure DLQ policy %+v, want the rule only", doc.Statement)
	}
}

func TestMetricsRunOnTheConfiguredSchedule(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	rule := m.one(t, tEventRule, "metrics-schedule")
	if rule.plain["scheduleExpression"] != "rate(1 hour)" {
		t.Errorf("schedule %v", rule.plain["scheduleExpression"])
	}
	if got := m.one(t, tEventTarget, "metrics-schedule").plain["arn"]; got !=
		lambdaArn(metricsStep) {
		t.Errorf("schedule target %v", got)
	}
	perm := m.one(t, tPermission, "metrics-schedule")
	if perm.plain["principal"] != "events.amazonaws.com" ||
		perm.plain["sourceArn"] != metricsRuleArn {
		t.Errorf("permission %v", perm.plain)
	}
}

func TestEveryRouteRequiresTheJWTAuthorizer(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	auth := m.one(t, tAuthorizer, "cognito")
	execArn := arnOf("execute-api", testAPIID)
	routes := []struct {
		name, key, step, permission, sourceArn string
	}{
		{"uploads", "POST /uploads", uploadURLStep, "uploadurl-api",
			execArn + "/*/POST/uploads"},
		{"images-list", "GET /images", imagesStep, "images-list-api",
			execArn + "/*/GET/images"},
		{"images-get", "GET /images/{imageId}", imagesStep, "images-get-api",
			execArn + "/*/GET/images/*"},
	}
	if got := m.all(tRoute); len(got) != len(routes) {
		t.Errorf("%d routes, want %d", len(got), len(routes))
	}
	for _, want := range routes {
		route := m.one(t, tRoute, want.name)
		if route.plain["routeKey"] != want.key || route.plain["authorizationType"] != "JWT" ||
			route.plain["authorizerId"] != auth.id || auth.id == "" ||
			route.plain["apiId"] != testAPIID {
			t.Errorf("route %v, want %s behind authorizer %q", route.plain, want.key, auth.id)
		}
		integration := m.one(t, tIntegration, want.step)
		if route.plain["target"] != "integrations/"+integration.id {
			t.Errorf("route %s targets %v, want the %s integration", want.key,
				route.plain["target"], want.step)
		}
		if integration.plain["integrationType"] != "AWS_PROXY" ||
			integration.plain["payloadFormatVersion"] != "2.0" ||
			!strings.Contains(fmt.Sprint(integration.plain["integrationUri"]),
				lambdaArn(want.step)+"/invocations") {
			t.Errorf("integration %v, want AWS_PROXY 2.0 to %s", integration.plain, want.step)
		}
		perm := m.one(t, tPermission, want.permission)
		if perm.plain["principal"] != "apigateway.amazonaws.com" ||
			perm.plain["sourceArn"] != want.sourceArn ||
			perm.plain["function"] != testPrefix+"-"+want.step {
			t.Errorf("permission %v, want %s to invoke %s", perm.plain, want.sourceArn,
				want.step)
		}
	}
	stage := m.one(t, tStage, "default")
	for _, want := range routes {
		if !slices.Contains(stage.deps, urn(tRoute, want.name)) {
			t.Errorf("the stage does not wait for route %s: %v", want.key, stage.deps)
		}
	}

	cors := path(m.one(t, tAPI, "api").plain, "corsConfiguration")
	if !slices.Equal(strs(path(cors, "allowMethods")), []string{"GET", "POST"}) ||
		!slices.Equal(strs(path(cors, "allowOrigins")), []string{defaultCORSOrigins}) ||
		!slices.Contains(strs(path(cors, "allowHeaders")), "authorization") {
		t.Errorf("API CORS %v, want GET and POST from %s with authorization", cors,
			defaultCORSOrigins)
	}
	issuer := "https://cognito-idp." + testRegion + ".amazonaws.com/" + testPoolID
	jwt := auth.plain["jwtConfiguration"]
	if auth.plain["authorizerType"] != "JWT" || path(jwt, "issuer") != issuer ||
		!slices.Equal(strs(path(jwt, "audiences")), []string{testClientID}) {
		t.Errorf("authorizer %v, want issuer %s and audience %s", auth.plain, issuer,
			testClientID)
	}

	client := m.one(t, tClient, "web")
	flows := strs(client.plain["explicitAuthFlows"])
	if client.plain["generateSecret"] != false || !slices.Contains(flows,
		"ALLOW_USER_PASSWORD_AUTH") || !slices.Contains(flows, "ALLOW_USER_SRP_AUTH") {
		t.Errorf("client %v", client.plain)
	}

	if stage.plain["name"] != "$default" || stage.plain["autoDeploy"] != true ||
		path(stage.plain, "accessLogSettings", "destinationArn") !=
			arnOf("logs", "log-group:/aws/apigateway/"+testPrefix+"-api") {
		t.Errorf("stage %v", stage.plain)
	}
}

func TestEveryAlarmNotifiesTheTopic(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	alarms := m.all(tAlarm)
	var names []string
	for _, a := range alarms {
		names = append(names, a.name)
		if !slices.Contains(strs(a.plain["alarmActions"]), topicArn) {
			t.Errorf("alarm %s notifies %v, not the topic", a.name, a.plain["alarmActions"])
		}
	}
	want := []string{"executions-failed", "uploads-dlq", "failure-events-dlq",
		"originals-bucket-size", "processed-bucket-size"}
	for _, s := range steps {
		want = append(want, s+"-errors", s+"-throttles")
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("alarms\n got %v\nwant %v", names, want)
	}

	size := m.one(t, tAlarm, "originals-bucket-size")
	if size.plain["namespace"] != "CustomS3" || size.plain["metricName"] != "BucketSizeBytes" ||
		path(size.plain, "dimensions", "BucketName") != originalsName ||
		size.plain["threshold"] != float64(defaultBucketSizeAlarmBytes) {
		t.Errorf("bucket size alarm %v", size.plain)
	}
	failed := m.one(t, tAlarm, "executions-failed")
	if path(failed.plain, "dimensions", "StateMachineArn") != stateMachineArn {
		t.Errorf("executions alarm %v", failed.plain)
	}

	var body struct{ Widgets []map[string]any }
	dash := m.one(t, tDashboard, "pipeline")
	if err := json.Unmarshal([]byte(dash.plain["dashboardBody"].(string)), &body); err != nil ||
		len(body.Widgets) == 0 || !strings.Contains(dash.plain["dashboardBody"].(string),
		stateMachineArn) {
		t.Errorf("dashboard %v (%v)", dash.plain["dashboardBody"], err)
	}
	for _, s := range steps {
		if !strings.Contains(dash.plain["dashboardBody"].(string), `"`+testPrefix+"-"+s+`"`) {
			t.Errorf("the dashboard does not graph the %s Lambda", s)
		}
	}
}

func TestStackOutputs(t *testing.T) {
	_, _, outputs := mustRun(t, nil)
	want := map[string]string{
		"apiUrl":           apiEndpoint,
		"userPoolId":       testPoolID,
		"userPoolClientId": testClientID,
		"originalsBucket":  originalsName,
		"processedBucket":  processedName,
		"tableName":        tableName,
		"topicArn":         topicArn,
		"stateMachineArn":  stateMachineArn,
		"stateMachineConsoleUrl": "https://us-east-1.console.aws.amazon.com/states/home" +
			"?region=us-east-1#/statemachines/view/" + stateMachineArn,
	}
	if !maps.Equal(outputs, want) {
		t.Errorf("outputs\n got %v\nwant %v", outputs, want)
	}
	if got := slices.Sorted(maps.Keys(want)); !slices.Equal(got, slices.Sorted(
		slices.Values(outputNames))) {
		t.Errorf("exported %v", outputNames)
	}
}

func TestConfigOverrides(t *testing.T) {
	_, m, _ := mustRun(t, map[string]string{
		"variants":             "big:2000,small:100",
		"jpegQuality":          "70",
		"background":           "#000000",
		"maxPixels":            "24000000",
		"maxBytes":             "1000",
		"uploadUrlExpiry":      "15m",
		"imageUrlExpiry":       "90s",
		"corsOrigins":          "https://a.example, https://b.example",
		"metricsRate":          "5 minutes",
		"logRetentionDays":     "7",
		"alarmEmail":           "ops@example.com",
		"bucketSizeAlarmBytes": "5000",
		"resizeMemoryMb":       "3008",
		"resizeTimeoutSeconds": "200",
		"lambdaTracing":        "false",
		"stateMachineLogLevel": "all",
	})

	resize := env(m.one(t, tFunction, resizeStep))
	if resize["VARIANTS"] != "big:2000,small:100" || resize["JPEG_QUALITY"] != "70" ||
		resize["BACKGROUND"] != "#000000" || resize["MAX_PIXELS"] != "24000000" {
		t.Errorf("resize environment %v", resize)
	}
	up := env(m.one(t, tFunction, uploadURLStep))
	if up["UPLOAD_URL_EXPIRY"] != "15m" || up["MAX_BYTES"] != "1000" ||
		up["CORS_ORIGINS"] != "https://a.example,https://b.example" {
		t.Errorf("uploadurl environment %v", up)
	}
	img := env(m.one(t, tFunction, imagesStep))
	if img["IMAGE_URL_EXPIRY"] != "90s" ||
		img["CORS_ORIGINS"] != "https://a.example,https://b.example" {
		t.Errorf("images environment %v", img)
	}
	cors := path(m.one(t, tAPI, "api").plain, "corsConfiguration", "allowOrigins")
	if !slices.Equal(strs(cors), []string{"https://a.example", "https://b.example"}) {
		t.Errorf("API CORS origins %v", cors)
	}
	f := m.one(t, tFunction, resizeStep)
	if f.plain["memorySize"] != 3008.0 || f.plain["timeout"] != 200.0 ||
		path(f.plain, "tracingConfig", "mode") != "PassThrough" {
		t.Errorf("resize %v %v %v", f.plain["memorySize"], f.plain["timeout"],
			f.plain["tracingConfig"])
	}
	if got := m.one(t, tLogGroup, fetchStep).plain["retentionInDays"]; got != 7.0 {
		t.Errorf("retention %v", got)
	}
	if got := m.one(t, tEventRule, "metrics-schedule").plain["scheduleExpression"]; got !=
		"rate(5 minutes)" {
		t.Errorf("schedule %v", got)
	}
	size := m.one(t, tAlarm, "processed-bucket-size")
	if size.plain["threshold"] != 5000.0 || size.plain["period"] != 300.0 {
		t.Errorf("bucket size alarm %v", size.plain)
	}
	sub := m.one(t, tSubscription, "alarm-email")
	if sub.plain["endpoint"] != "ops@example.com" || sub.plain["protocol"] != "email" ||
		sub.plain["topic"] != topicArn {
		t.Errorf("subscription %v", sub.plain)
	}
	rule := m.one(t, tCORS, "originals").plain["corsRules"].([]any)[0]
	if !slices.Equal(strs(path(rule, "allowedOrigins")),
		[]string{"https://a.example", "https://b.example"}) {
		t.Errorf("CORS origins %v", path(rule, "allowedOrigins"))
	}
	if lvl := path(m.one(t, tStateMachine, "pipeline").plain, "loggingConfiguration",
		"level"); lvl != "ALL" {
		t.Errorf("state machine log level %v", lvl)
	}

	// Without tracing, no Lambda role holds an X-Ray grant.
	for role, p := range rolePolicies(t, m) {
		if _, ok := p.grants["xray:PutTraceSegments"]; ok && role != "pipeline" {
			t.Errorf("role %s keeps X-Ray with lambdaTracing false", role)
		}
	}
}

func TestConfigDefaultsNeedNoSubscription(t *testing.T) {
	_, m, _ := mustRun(t, nil)
	if subs := m.all(tSubscription); len(subs) != 0 {
		t.Errorf("subscriptions %v without alarmEmail", subs)
	}
}

func TestInvalidConfigFailsWithTheKey(t *testing.T) {
	for key, value := range map[string]string{
		"variants":             "large:big",
		"jpegQuality":          "101",
		"uploadUrlExpiry":      "2h",
		"imageUrlExpiry":       "61m",
		"metricsRate":          "1 minutes",
		"logRetentionDays":     "8",
		"resizeMemoryMb":       "64",
		"resizeTimeoutSeconds": "300",
		"maxPixels":            "many",
		"lambdaTracing":        "sometimes",
	} {
		t.Run(key, func(t *testing.T) {
			_, _, _, err := run(t, map[string]string{key: value})
			if err == nil || !strings.Contains(err.Error(), key) {
				t.Errorf("%s=%s: error %v, want one naming %s", key, value, err, key)
			}
		})
	}
}

func TestImageURLExpiryIsWholeSecondsUpToAnHour(t *testing.T) {
	for value, ok := range map[string]bool{
		"1s": true, "90s": true, "1h": true,
		"0s": false, "-5m": false, "1500ms": false, "1h0m1s": false, "soon": false,
	} {
		t.Run(value, func(t *testing.T) {
			_, m, _, err := run(t, map[string]string{"imageUrlExpiry": value})
			if !ok {
				if err == nil || !strings.Contains(err.Error(), "imageUrlExpiry") {
					t.Errorf("error %v, want one naming imageUrlExpiry", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("deploy: %v", err)
			}
			if got := env(m.one(t, tFunction, imagesStep))["IMAGE_URL_EXPIRY"]; got != value {
				t.Errorf("IMAGE_URL_EXPIRY %q, want %q", got, value)
			}
		})
	}
}

func TestMissingZipsNameMakeBuild(t *testing.T) {
	_, _, _, err := run(t, map[string]string{"buildDir": t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make build") ||
		!strings.Contains(err.Error(), "fetch.zip") {
		t.Errorf("error %v, want one that names fetch.zip and make build", err)
	}
}
