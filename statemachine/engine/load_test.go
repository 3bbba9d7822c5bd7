package engine

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadErrors(t *testing.T) {
	task := func(extra string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + testResource +
			`","End":true` + extra + `}}}`
	}
	cases := []struct {
		name, def, wantState, wantField, wantMsg string
	}{
		{"not JSON", `{`, "", "", "JSON object"},
		{"unknown top-level field", `{"StartAt":"P","States":{"P":{"Type":"Succeed"}},
			"Extra":1}`, "", "Extra", "unknown"},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Succeed"}}}`,
			"", "QueryLanguage", "JSONPath"},
		{"no StartAt", `{"States":{"P":{"Type":"Succeed"}}}`, "", "StartAt", "required"},
		{"StartAt names nothing", `{"StartAt":"Q","States":{"P":{"Type":"Succeed"}}}`, "",
			"StartAt", `no state named "Q"`},
		{"unknown state field", task(`,"Foo":1`), "T", "Foo", "unknown"},
		{"Assign is not supported", task(`,"Assign":{"x":1}`), "T", "Assign", "unknown"},
		{"unknown state type", `{"StartAt":"P","States":{"P":{"Type":"Teleport"}}}`, "P",
			"Type", `unknown state type "Teleport"`},
		{"Map", `{"StartAt":"P","States":{"P":{"Type":"Map","End":true}}}`, "P", "Type",
			"not supported"},
		{"missing Next target", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"Q"}}}`,
			"P", "Next", `no state named "Q"`},
		{"neither Next nor End", `{"StartAt":"P","States":{"P":{"Type":"Pass"}}}`, "P", "",
			"Next"},
		{"Next and End", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"P","End":true}}}`,
			"P", "Next", "End"},
		{"End false", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":false}}}`, "P", "End",
			"true"},
		{"Fail with Next", `{"StartAt":"F","States":{"F":{"Type":"Fail","Next":"F"}}}`, "F",
			"Next", "unknown"},
		{"Fail with Error and ErrorPath", `{"StartAt":"F","States":{"F":{"Type":"Fail",
			"Error":"a","ErrorPath":"$.b"}}}`, "F", "ErrorPath", "Error"},
		{"no handler", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:x",
			"End":true}}}`, "T", "Resource", `no handler for resource "arn:x"`},
		{"BackoffRate below 1", task(`,"Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}]`), "T",
			"Retry[0].BackoffRate", "at least 1"},
		{"IntervalSeconds not whole", task(`,"Retry":[{"ErrorEquals":["X"],
			"IntervalSeconds":1.5}]`), "T", "Retry[0].IntervalSeconds", "integer"},
		{"IntervalSeconds 0", task(`,"Retry":[{"ErrorEquals":["X"],"IntervalSeconds":0}]`), "T",
			"Retry[0].IntervalSeconds", "at least 1"},
		{"MaxAttempts negative", task(`,"Retry":[{"ErrorEquals":["X"],"MaxAttempts":-1}]`), "T",
			"Retry[0].MaxAttempts", "at least 0"},
		{"bad JitterStrategy", task(`,"Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}]`),
			"T", "Retry[0].JitterStrategy", "FULL or NONE"},
		{"unknown retrier field", task(`,"Retry":[{"ErrorEquals":["X"],"MaxAttempt":2}]`), "T",
			"Retry[0].MaxAttempt", "unknown"},
		{"empty ErrorEquals", task(`,"Retry":[{"ErrorEquals":[]}]`), "T",
			"Retry[0].ErrorEquals", "non-empty"},
		{"States.ALL not alone", task(`,"Retry":[{"ErrorEquals":["States.ALL","X"]}]`), "T",
			"Retry[0].ErrorEquals", "alone"},
		{"States.ALL not last", task(`,"Retry":[{"ErrorEquals":["States.ALL"]},
			{"ErrorEquals":["X"]}]`), "T", "Retry[0].ErrorEquals", "last"},
		{"unknown catcher field", task(`,"Catch":[{"ErrorEquals":["X"],"Next":"T",
			"Output":{}}]`), "T", "Catch[0].Output", "unknown"},
		{"catcher without Next", task(`,"Catch":[{"ErrorEquals":["X"]}]`), "T",
			"Catch[0].Next", "required"},
		{"catcher Next names nothing", task(`,"Catch":[{"ErrorEquals":["X"],"Next":"Q"}]`), "T",
			"Catch[0].Next", `no state named "Q"`},
		{"unsupported intrinsic", task(`,"Parameters":{"h.$":"States.Hash($.x, 'MD5')"}`), "T",
			"Parameters", "unsupported intrinsic States.Hash"},
		{"wildcard path", task(`,"InputPath":"$.items[*]"`), "T", "InputPath", "unsupported"},
		{"deep scan", task(`,"OutputPath":"$..id"`), "T", "OutputPath", "unsupported"},
		{"context in ResultPath", task(`,"ResultPath":"$$.Execution"`), "T", "ResultPath",
			"context"},
		{"Parameters .$ not a string", task(`,"Parameters":{"a.$":1}`), "T", "Parameters",
			"path or an intrinsic"},
		{"TimeoutSeconds 0", task(`,"TimeoutSeconds":0`), "T", "TimeoutSeconds", "at least 1"},
		{"HeartbeatSeconds over TimeoutSeconds", task(`,"TimeoutSeconds":5,
			"HeartbeatSeconds":5`), "T", "HeartbeatSeconds", "smaller"},
		{"unknown choice rule field", `{"StartAt":"C","States":{"C":{"Type":"Choice",
			"Choices":[{"Variable":"$.a","StringEquals":"x","Nxt":"C"}]}}}`, "C", "Choices[0]",
			"Nxt"},
		{"choice value of the wrong type", `{"StartAt":"C","States":{"C":{"Type":"Choice",
			"Choices":[{"Variable":"$.a","NumericEquals":"1","Next":"C"}]}}}`, "C",
			"Choices[0]", "wrong type"},
		{"nested rule with Next", `{"StartAt":"C","States":{"C":{"Type":"Choice",
			"Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Next":"C"},"Next":"C"}]}}}`, "C",
			"Choices[0]", "nested"},
		{"choice Next names nothing", `{"StartAt":"C","States":{"C":{"Type":"Choice",
			"Choices":[{"Variable":"$.a","IsNull":true,"Next":"Q"}]}}}`, "C", "Choices[0].Next",
			`"Q"`},
		{"Wait with two durations", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,
			"SecondsPath":"$.s","End":true}}}`, "W", "", "exactly one"},
	}
	handlers := map[string]Handler{testResource: (&returning{}).handle}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]byte(c.def), handlers)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load error = %v, want a *LoadError", err)
			}
			if le.State != c.wantState || !strings.HasPrefix(le.Field, c.wantField) ||
				(c.wantField == "" && le.Field != "") {
				t.Errorf("error %q names state %q field %q, want %q %q", err, le.State,
					le.Field, c.wantState, c.wantField)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "engine: ") || !strings.Contains(msg, c.wantMsg) {
				t.Errorf("message %q lacks %q", msg, c.wantMsg)
			}
		})
	}
}

func TestLoadAcceptsAllFields(t *testing.T) {
	def := `{"Comment":"c","Version":"1.0","QueryLanguage":"JSONPath","TimeoutSeconds":60,
	"StartAt":"T","States":{
	"T":{"Type":"Task","Comment":"c","Resource":"` + testResource + `","InputPath":"$",
		"Parameters":{"a.$":"$.a"},"ResultSelector":{"r.$":"$"},"ResultPath":"$.r",
		"OutputPath":"$","TimeoutSeconds":10,"HeartbeatSeconds":5,
		"Retry":[{"ErrorEquals":["X"],"IntervalSeconds":1,"MaxAttempts":1,"BackoffRate":1.5,
			"MaxDelaySeconds":3,"JitterStrategy":"NONE","Comment":"c"}],
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.e","Next":"F","Comment":"c"}],
		"Next":"P"},
	"P":{"Type":"Pass","Result":1,"ResultPath":null,"Parameters":{},"Next":"C"},
	"C":{"Type":"Choice","Choices":[{"Comment":"c","Variable":"$.a","IsPresent":true,
		"Next":"W"}],"Default":"S"},
	"W":{"Type":"Wait","TimestampPath":"$.t","Next":"S"},
	"S":{"Type":"Succeed","Comment":"c"},
	"F":{"Type":"Fail","Comment":"c","ErrorPath":"$.e.Error","CausePath":"$.e.Cause"}}}`
	handlers := map[string]Handler{testResource: (&returning{}).handle}
	if _, err := Load([]byte(def), handlers); err != nil {
		t.Fatal(err)
	}
}
