package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The account, region and stack the mocks pretend to deploy into.
const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testStack   = "dev"
	testPrefix  = "imagepipe-" + testStack
	// autoSuffix is what the mock appends to auto-named resources, as Pulumi
	// appends a random suffix.
	autoSuffix = "-7f3a9c1"
	// The ids the mock gives the user pool, its client and the HTTP API.
	testPoolID   = testRegion + "_TestPool1"
	testClientID = "testclient123"
	testAPIID    = "api1234567"
)

// recorded is one resource as the program registered it.
type recorded struct {
	typ, name string
	inputs    resource.PropertyMap
	// plain is inputs as plain Go values (maps, slices, strings, float64s).
	plain map[string]any
	id    string
	state resource.PropertyMap
	deps  []string
}

// str returns a string output of the resource as the mock resolved it.
func (r recorded) str(key string) string {
	if v, ok := r.state[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// mocks records every resource and answers with plausible ids and ARNs, so
// that the program's ApplyT callbacks run on real-looking values.
type mocks struct {
	mu        sync.Mutex
	resources []recorded
}

// NewResource implements [pulumi.MockResourceMonitor].
func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := args.Inputs
	out := in.Copy()
	set := func(k, v string) { out[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	input := func(k string) string {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	named := func(k string) string {
		if n := input(k); n != "" {
			return n
		}
		n := args.Name + autoSuffix
		set(k, n)
		return n
	}
	regional := func(service, rest string) string {
		return "arn:aws:" + service + ":" + testRegion + ":" + testAccount + ":" + rest
	}

	id := args.Name + "-id"
	switch args.TypeToken {
	case "aws:s3/bucketV2:BucketV2":
		id = named("bucket")
		set("arn", "arn:aws:s3:::"+id)
	case "aws:sqs/queue:Queue":
		n := named("name")
		id = "https://sqs." + testRegion + ".amazonaws.com/" + testAccount + "/" + n
		set("arn", regional("sqs", n))
		set("url", id)
	case "aws:dynamodb/table:Table":
		id = named("name")
		set("arn", regional("dynamodb", "table/"+id))
	case "aws:sns/topic:Topic":
		id = regional("sns", named("name"))
		set("arn", id)
	case "aws:lambda/function:Function":
		id = named("name")
		arn := regional("lambda", "function:"+id)
		set("arn", arn)
		set("invokeArn", "arn:aws:apigateway:"+testRegion+":lambda:path/2015-03-31/functions/"+
			arn+"/invocations")
	case "aws:cloudwatch/logGroup:LogGroup":
		id = named("name")
		set("arn", regional("logs", "log-group:"+id))
	case "aws:iam/role:Role":
		id = named("name")
		set("arn", "arn:aws:iam::"+testAccount+":role/"+id)
	case "aws:sfn/stateMachine:StateMachine":
		id = regional("states", "stateMachine:"+named("name"))
		set("arn", id)
	case "aws:pipes/pipe:Pipe":
		id = named("name")
		set("arn", regional("pipes", "pipe/"+id))
	case "aws:cloudwatch/eventRule:EventRule":
		id = named("name")
		set("arn", regional("events", "rule/"+id))
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		id = named("name")
		set("arn", regional("cloudwatch", "alarm:"+id))
	case "aws:cognito/userPool:UserPool":
		id = testPoolID
		set("arn", regional("cognito-idp", "userpool/"+id))
	case "aws:cognito/userPoolClient:UserPoolClient":
		id = testClientID
	case "aws:apigatewayv2/api:Api":
		id = testAPIID
		set("apiEndpoint", "https://"+id+".execute-api."+testRegion+".amazonaws.com")
		set("executionArn", regional("execute-api", id))
	case "aws:apigatewayv2/authorizer:Authorizer", "aws:apigatewayv2/integration:Integration":
		id = args.Name + "-" + strings.ToLower(args.TypeToken[strings.LastIndex(args.TypeToken,
			":")+1:])
	case "aws:apigatewayv2/stage:Stage":
		set("invokeUrl", "https://"+testAPIID+".execute-api."+testRegion+".amazonaws.com/")
	}

	r := recorded{typ: args.TypeToken, name: args.Name, inputs: in, plain: in.Mappable(),
		id: id, state: out}
	if args.RegisterRPC != nil {
		r.deps = args.RegisterRPC.GetDependencies()
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return id, out, nil
}

// Call implements [pulumi.MockResourceMonitor] for the provider functions
// the program invokes.
func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": testAccount,
			"arn":       "arn:aws:iam::" + testAccount + ":user/test",
			"id":        testAccount,
			"userId":    "AIDATEST",
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": testRegion, "id": testRegion,
			"endpoint": "ec2." + testRegion + ".amazonaws.com",
		}), nil
	}
	return resource.PropertyMap{}, nil
}

// all returns the recorded resources of one type, sorted by name.
func (m *mocks) all(typ string) []recorded {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []recorded
	for _, r := range m.resources {
		if r.typ == typ {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b recorded) int { return strings.Compare(a.name, b.name) })
	return out
}

// one returns the resource of a type and name, failing the test if absent.
func (m *mocks) one(t *testing.T, typ, name string) recorded {
	t.Helper()
	for _, r := range m.all(typ) {
		if r.name == name {
			return r
		}
	}
	t.Fatalf("no %s named %q was registered", typ, name)
	return recorded{}
}

// urn is the URN the mock engine gives a resource of this stack.
func urn(typ, name string) string {
	return "urn:pulumi:" + testStack + "::imagepipe::" + typ + "::" + name
}

// run deploys the program against the mocks with the given configuration
// (keys without the project prefix). Unless config sets buildDir, it points
// the program at a temporary directory of dummy zips.
func run(t *testing.T, config map[string]string) (*deployment, *mocks, map[string]string, error) {
	t.Helper()
	full := map[string]string{}
	if _, ok := config["buildDir"]; !ok {
		full["imagepipe:buildDir"] = dummyBuild(t)
	}
	for k, v := range config {
		full["imagepipe:"+k] = v
	}
	b, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_CONFIG", string(b))

	m := &mocks{}
	var d *deployment
	outputs := map[string]string{}
	var mu sync.Mutex
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		var err error
		if d, err = deploy(ctx, loadConfig(ctx)); err != nil {
			return err
		}
		for name, out := range d.outputs {
			out.ApplyT(func(v string) string {
				mu.Lock()
				outputs[name] = v
				mu.Unlock()
				return v
			})
		}
		return nil
	}, pulumi.WithMocks("imagepipe", testStack, m))
	return d, m, outputs, err
}

// mustRun is [run] that fails the test on an error.
func mustRun(t *testing.T, config map[string]string) (*deployment, *mocks, map[string]string) {
	t.Helper()
	d, m, outputs, err := run(t, config)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return d, m, outputs
}

// dummyBuild writes a placeholder zip for every Lambda into a temporary
// directory: the mocks never read the code.
func dummyBuild(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, step := range steps {
		if err := os.WriteFile(filepath.Join(dir, step+".zip"), []byte("PK"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// path walks nested maps of plain values.
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// strs converts a plain []any of strings.
func strs(v any) []string {
	var out []string
	if list, ok := v.([]any); ok {
		for _, x := range list {
			s, _ := x.(string)
			out = append(out, s)
		}
	}
	return out
}
