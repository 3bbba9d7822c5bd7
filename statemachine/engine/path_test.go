package engine

import (
	"strings"
	"testing"
)

// taskDef is a one-Task definition with the given extra fields.
func taskDef(fields string) string {
	if fields != "" {
		fields = "," + fields
	}
	return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + testResource +
		`","End":true` + fields + `}}}`
}

// The examples are those of the AWS guide's pages on InputPath, Parameters,
// ResultSelector, ResultPath and OutputPath.
func TestTaskDataFlow(t *testing.T) {
	const resultPathInput = `{"comment":"This is a test of the input and output of a Task state.",
		"details":"Default example","who":"AWS Step Functions"}`
	cases := []struct {
		name      string
		fields    string
		input     string
		result    string
		wantInput string // what the handler receives
		want      string // the execution's output
	}{{
		name:   "InputPath selects a subtree",
		fields: `"InputPath":"$.dataset2"`,
		input: `{"comment":"Example for InputPath.","dataset1":{"val1":1,"val2":2,"val3":3},
			"dataset2":{"val1":"a","val2":"b","val3":"c"}}`,
		result:    `{"ok":true}`,
		wantInput: `{"val1":"a","val2":"b","val3":"c"}`,
		want:      `{"ok":true}`,
	}, {
		name:      "InputPath null passes an empty object",
		fields:    `"InputPath":null`,
		input:     `{"a":1}`,
		result:    `1`,
		wantInput: `{}`,
		want:      `1`,
	}, {
		name: "Parameters with paths and static values",
		fields: `"Parameters":{"comment":"Selecting what I care about.","MyDetails":{
			"size.$":"$.product.details.size","exists.$":"$.product.availability",
			"StaticValue":"foo"}}`,
		input: `{"comment":"Example for Parameters.","product":{"details":{"color":"blue",
			"size":"small","material":"cotton"},"availability":"in stock","sku":"2317",
			"cost":"$23"}}`,
		result: `{}`,
		wantInput: `{"comment":"Selecting what I care about.","MyDetails":{"size":"small",
			"exists":"in stock","StaticValue":"foo"}}`,
		want: `{}`,
	}, {
		name:      "Parameters with brackets and indexes",
		fields:    `"Parameters":{"first.$":"$.vals[0]","last.$":"$['vals'][5]","whole.$":"$"}`,
		input:     `{"vals":[0,10,20,30,40,50]}`,
		result:    `null`,
		wantInput: `{"first":0,"last":50,"whole":{"vals":[0,10,20,30,40,50]}}`,
		want:      `null`,
	}, {
		name: "ResultSelector then ResultPath",
		fields: `"ResultSelector":{"ClusterId.$":"$.output.ClusterId",
			"ResourceType.$":"$.resourceType"},"ResultPath":"$.EMROutput"`,
		input: `{"cluster":"x"}`,
		result: `{"resourceType":"elasticmapreduce","resource":"createCluster.sync",
			"output":{"SdkHttpMetadata":{"HttpStatusCode":200},
			"ClusterId":"AKIAIOSFODNN7EXAMPLE"}}`,
		wantInput: `{"cluster":"x"}`,
		want: `{"cluster":"x","EMROutput":{"ClusterId":"AKIAIOSFODNN7EXAMPLE",
			"ResourceType":"elasticmapreduce"}}`,
	}, {
		name:      "ResultPath $ replaces the input",
		input:     resultPathInput,
		result:    `"Hello, AWS Step Functions!"`,
		wantInput: resultPathInput,
		want:      `"Hello, AWS Step Functions!"`,
	}, {
		name:      "ResultPath null keeps the input",
		fields:    `"ResultPath":null`,
		input:     resultPathInput,
		result:    `"Hello, AWS Step Functions!"`,
		wantInput: resultPathInput,
		want:      resultPathInput,
	}, {
		name:      "ResultPath adds a field",
		fields:    `"ResultPath":"$.taskresult"`,
		input:     resultPathInput,
		result:    `"Hello, AWS Step Functions!"`,
		wantInput: resultPathInput,
		want: `{"comment":"This is a test of the input and output of a Task state.",
			"details":"Default example","who":"AWS Step Functions",
			"taskresult":"Hello, AWS Step Functions!"}`,
	}, {
		name:      "ResultPath into an existing object",
		fields:    `"ResultPath":"$.strings.lambdaresult"`,
		input:     `{"strings":{"string1":"a","string2":"b","string3":"c"}}`,
		result:    `"abc"`,
		wantInput: `{"strings":{"string1":"a","string2":"b","string3":"c"}}`,
		want:      `{"strings":{"string1":"a","string2":"b","string3":"c","lambdaresult":"abc"}}`,
	}, {
		name:      "ResultPath creates missing objects",
		fields:    `"ResultPath":"$.a.b.c"`,
		input:     `{"x":1}`,
		result:    `2`,
		wantInput: `{"x":1}`,
		want:      `{"x":1,"a":{"b":{"c":2}}}`,
	}, {
		name:      "OutputPath selects from the combined output",
		fields:    `"ResultPath":"$.r","OutputPath":"$.r.Payload"`,
		input:     `{"in":1}`,
		result:    `{"Payload":{"done":true},"StatusCode":200}`,
		wantInput: `{"in":1}`,
		want:      `{"done":true}`,
	}, {
		name:      "OutputPath null gives an empty object",
		fields:    `"OutputPath":null`,
		input:     `{"in":1}`,
		result:    `{"big":"result"}`,
		wantInput: `{"in":1}`,
		want:      `{}`,
	}, {
		name:      "large integers keep every digit",
		fields:    `"ResultPath":"$.r"`,
		input:     `{"id":12345678901234567890}`,
		result:    `622.2269926397355`,
		wantInput: `{"id":12345678901234567890}`,
		want:      `{"id":12345678901234567890,"r":622.2269926397355}`,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &returning{result: c.result}
			m := load(t, taskDef(c.fields), map[string]Handler{testResource: h.handle})
			d := run(t, m, c.input)
			if d.Status != StatusSucceeded {
				t.Fatalf("status %s: %s %s", d.Status, d.Error, d.Cause)
			}
			calls := h.calls()
			if len(calls) != 1 {
				t.Fatalf("handler called %d times", len(calls))
			}
			jsonEqual(t, "handler input", calls[0], c.wantInput)
			jsonEqual(t, "output", string(d.Output), c.want)
		})
	}
}

func TestPassDataFlow(t *testing.T) {
	cases := []struct {
		name, fields, input, want string
	}{
		{"Result at ResultPath",
			`"Result":{"x-datum":0.381018,"y-datum":622.2269926397355},"ResultPath":"$.coords"`,
			`{"georefOf":"Home"}`,
			`{"georefOf":"Home","coords":{"x-datum":0.381018,"y-datum":622.2269926397355}}`},
		{"no Result passes the input", ``, `{"a":[1,2]}`, `{"a":[1,2]}`},
		{"Parameters become the result", `"Parameters":{"records.$":"$"}`, `[{"body":"x"}]`,
			`{"records":[{"body":"x"}]}`},
		{"InputPath then ResultPath", `"InputPath":"$.a","ResultPath":"$.copy"`,
			`{"a":{"b":1}}`, `{"a":{"b":1},"copy":{"b":1}}`},
		{"ResultPath null", `"Result":"ignored","ResultPath":null`, `{"k":"v"}`, `{"k":"v"}`},
		{"paths inside arrays", `"Parameters":{"list":[{"a.$":"$.x"},1,["$.x"]]}`, `{"x":"y"}`,
			`{"list":[{"a":"y"},1,["$.x"]]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fields := ""
			if c.fields != "" {
				fields = "," + c.fields
			}
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true` + fields + `}}}`
			d := run(t, load(t, def, nil), c.input)
			if d.Status != StatusSucceeded {
				t.Fatalf("status %s: %s %s", d.Status, d.Error, d.Cause)
			}
			jsonEqual(t, "output", string(d.Output), c.want)
		})
	}
}

func TestContextObject(t *testing.T) {
	h := &returning{result: `{}`}
	def := taskDef(`"Parameters":{"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name",
		"input.$":"$$.Execution.Input","start.$":"$$.Execution.StartTime",
		"state.$":"$$.State.Name","entered.$":"$$.State.EnteredTime",
		"retries.$":"$$.State.RetryCount","machine.$":"$$.StateMachine.Id",
		"machineName.$":"$$.StateMachine.Name","redrives.$":"$$.Execution.RedriveCount",
		"role.$":"$$.Execution.RoleArn"}`)
	m := load(t, def, map[string]Handler{testResource: h.handle}, WithName("pipeline"),
		WithRegion("eu-west-1"), WithAccount("111122223333"),
		WithRoleArn("arn:aws:iam::111122223333:role/sfn"))
	d, err := m.Run(t.Context(), "exec-1", []byte(`{"k":"v"}`))
	if err != nil || d.Status != StatusSucceeded {
		t.Fatalf("Run = %v, %v %s", d.Status, err, d.Cause)
	}
	want := "arn:aws:states:eu-west-1:111122223333:execution:pipeline:exec-1"
	if d.ExecutionArn != want {
		t.Errorf("ARN = %s, want %s", d.ExecutionArn, want)
	}
	got, _ := decodeValue([]byte(h.calls()[0]))
	params := got.(map[string]any)
	for k, v := range map[string]any{
		"id": want, "name": "exec-1", "state": "T", "machineName": "pipeline",
		"machine": "arn:aws:states:eu-west-1:111122223333:stateMachine:pipeline",
		"role":    "arn:aws:iam::111122223333:role/sfn",
	} {
		if params[k] != v {
			t.Errorf("%s = %v, want %v", k, params[k], v)
		}
	}
	jsonEqual(t, "input", compact(params["input"]), `{"k":"v"}`)
	jsonEqual(t, "retries", compact(params["retries"]), `0`)
	jsonEqual(t, "redrives", compact(params["redrives"]), `0`)
	for _, k := range []string{"start", "entered"} {
		s, _ := params[k].(string)
		if _, err := parseTimestamp(s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Errorf("%s = %q, not an ISO timestamp", k, s)
		}
	}
}

// A path that selects nothing fails the execution with States.Runtime, and
// neither Retry nor a Catch on States.ALL handles it.
func TestMissingPathIsRuntimeError(t *testing.T) {
	handle := `"Retry":[{"ErrorEquals":["States.ALL"]}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}]`
	cases := []struct{ name, fields, wantCause string }{
		{"InputPath", `"InputPath":"$.missing"`, "Invalid path '$.missing'"},
		{"Parameters", `"Parameters":{"x.$":"$.missing"}`,
			"The JSONPath '$.missing' specified for the field 'x.$' could not be found"},
		{"ResultSelector", `"ResultSelector":{"x.$":"$.missing"}`, "'$.missing'"},
		{"OutputPath", `"OutputPath":"$.missing"`, "Invalid path '$.missing'"},
		{"index out of range", `"InputPath":"$.list[3]"`, "No results for path: $['list'][3]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + testResource +
				`","End":true,` + c.fields + `,` + handle + `},"Caught":{"Type":"Succeed"}}}`
			h := &returning{result: `{"r":1}`}
			m := load(t, def, map[string]Handler{testResource: h.handle})
			d := run(t, m, `{"list":[1,2]}`)
			if d.Status != StatusFailed || d.Error != ErrorRuntime {
				t.Fatalf("got %s %s, want FAILED States.Runtime", d.Status, d.Error)
			}
			if !strings.Contains(d.Cause, c.wantCause) ||
				!strings.Contains(d.Cause, "An error occurred while executing the state 'T'") {
				t.Errorf("cause %q lacks %q", d.Cause, c.wantCause)
			}
			if n := len(h.calls()); n > 1 {
				t.Errorf("handler called %d times; a runtime error is not retried", n)
			}
		})
	}
}

func TestResultPathMatchFailure(t *testing.T) {
	def := taskDef(`"ResultPath":"$.r"`)
	h := &returning{result: `1`}
	d := run(t, load(t, def, map[string]Handler{testResource: h.handle}), `[1,2]`)
	if d.Status != StatusFailed || d.Error != ErrorResultPathFailure {
		t.Errorf("got %s %s, want FAILED %s", d.Status, d.Error, ErrorResultPathFailure)
	}
}

// The 256 KiB payload cap ends the execution whatever Catch says.
func TestDataLimitExceeded(t *testing.T) {
	big := `"` + strings.Repeat("x", 300*1024) + `"`
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + testResource +
		`","End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}]},
		"C":{"Type":"Succeed"}}}`
	h := &returning{result: big}
	d := run(t, load(t, def, map[string]Handler{testResource: h.handle}), `{}`)
	if d.Status != StatusFailed || d.Error != ErrorDataLimitExceeded {
		t.Errorf("got %s %s, want FAILED %s", d.Status, d.Error, ErrorDataLimitExceeded)
	}
}
