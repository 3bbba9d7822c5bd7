package engine

import (
	"strings"
	"testing"
)

func TestChoice(t *testing.T) {
	cases := []struct {
		name, rule, input string
		match             bool
	}{
		{"StringEquals", `"Variable":"$.s","StringEquals":"abc"`, `{"s":"abc"}`, true},
		{"StringEquals other type", `"Variable":"$.s","StringEquals":"1"`, `{"s":1}`, false},
		{"StringEqualsPath", `"Variable":"$.s","StringEqualsPath":"$.t"`, `{"s":"a","t":"a"}`,
			true},
		{"StringLessThan", `"Variable":"$.s","StringLessThan":"b"`, `{"s":"a"}`, true},
		{"StringGreaterThanEquals", `"Variable":"$.s","StringGreaterThanEquals":"b"`,
			`{"s":"b"}`, true},
		{"StringMatches", `"Variable":"$.s","StringMatches":"log-*.txt"`,
			`{"s":"log-2024.txt"}`, true},
		{"StringMatches escaped star", `"Variable":"$.s","StringMatches":"a\\*b"`,
			`{"s":"axxb"}`, false},
		{"StringMatches literal star", `"Variable":"$.s","StringMatches":"a\\*b"`,
			`{"s":"a*b"}`, true},
		{"NumericEquals", `"Variable":"$.n","NumericEquals":1`, `{"n":1.0}`, true},
		{"NumericEquals string", `"Variable":"$.n","NumericEquals":1`, `{"n":"1"}`, false},
		{"NumericLessThan", `"Variable":"$.n","NumericLessThan":1.5`, `{"n":1.25}`, true},
		{"NumericGreaterThan", `"Variable":"$.n","NumericGreaterThan":10`, `{"n":10}`, false},
		{"NumericGreaterThanEquals", `"Variable":"$.n","NumericGreaterThanEquals":10`,
			`{"n":10}`, true},
		{"NumericLessThanEqualsPath", `"Variable":"$.n","NumericLessThanEqualsPath":"$.max"`,
			`{"n":3,"max":3}`, true},
		{"big integers compare exactly",
			`"Variable":"$.n","NumericGreaterThan":12345678901234567890`,
			`{"n":12345678901234567891}`, true},
		{"BooleanEquals", `"Variable":"$.b","BooleanEquals":false`, `{"b":false}`, true},
		{"BooleanEqualsPath", `"Variable":"$.b","BooleanEqualsPath":"$.c"`,
			`{"b":true,"c":false}`, false},
		{"TimestampLessThan", `"Variable":"$.t","TimestampLessThan":"2016-08-18T17:33:00Z"`,
			`{"t":"2016-08-18T17:32:00Z"}`, true},
		{"TimestampEquals offsets",
			`"Variable":"$.t","TimestampEquals":"2016-08-18T17:33:00Z"`,
			`{"t":"2016-08-18T19:33:00+02:00"}`, true},
		{"IsPresent true", `"Variable":"$.x","IsPresent":true`, `{"x":null}`, true},
		{"IsPresent false", `"Variable":"$.x","IsPresent":false`, `{}`, true},
		{"IsNull", `"Variable":"$.x","IsNull":true`, `{"x":null}`, true},
		{"IsString", `"Variable":"$.x","IsString":true`, `{"x":"s"}`, true},
		{"IsNumeric", `"Variable":"$.x","IsNumeric":false`, `{"x":"1"}`, true},
		{"IsBoolean", `"Variable":"$.x","IsBoolean":true`, `{"x":true}`, true},
		{"IsTimestamp", `"Variable":"$.x","IsTimestamp":true`, `{"x":"2024-01-02T03:04:05Z"}`,
			true},
		{"And", `"And":[{"Variable":"$.n","NumericGreaterThanEquals":20},
			{"Variable":"$.n","NumericLessThan":30}]`, `{"n":25}`, true},
		{"And short", `"And":[{"Variable":"$.n","NumericGreaterThanEquals":20},
			{"Variable":"$.n","NumericLessThan":30}]`, `{"n":35}`, false},
		{"Or", `"Or":[{"Variable":"$.s","StringEquals":"a"},
			{"Variable":"$.s","StringEquals":"b"}]`, `{"s":"b"}`, true},
		{"Not", `"Not":{"Variable":"$.type","StringEquals":"Private"}`, `{"type":"Public"}`,
			true},
		{"context object", `"Variable":"$$.State.Name","StringEquals":"C"`, `{}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{` + c.rule +
				`,"Next":"Yes"}],"Default":"No"},"Yes":{"Type":"Succeed"},
				"No":{"Type":"Succeed"}}}`
			m := load(t, def, nil)
			d := run(t, m, c.input)
			if d.Status != StatusSucceeded {
				t.Fatalf("status %s %s %s", d.Status, d.Error, d.Cause)
			}
			want := "No"
			if c.match {
				want = "Yes"
			}
			if got := entered(t, m, d.ExecutionArn); got[1] != want {
				t.Errorf("went to %s, want %s", got[1], want)
			}
		})
	}
}

func TestChoiceFailures(t *testing.T) {
	cases := []struct {
		name, choice, input, wantError, wantCause string
	}{
		{"no match without Default", `"Choices":[{"Variable":"$.s","StringEquals":"x",
			"Next":"Yes"}]`, `{"s":"y"}`, ErrorNoChoiceMatched, ""},
		{"missing variable", `"Choices":[{"Variable":"$.nope","StringEquals":"x",
			"Next":"Yes"}],"Default":"Yes"`, `{}`, ErrorRuntime, "Invalid path '$.nope'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := `{"StartAt":"C","States":{"C":{"Type":"Choice",` + c.choice + `},
				"Yes":{"Type":"Succeed"}}}`
			d := run(t, load(t, def, nil), c.input)
			if d.Status != StatusFailed || d.Error != c.wantError ||
				!strings.Contains(d.Cause, c.wantCause) {
				t.Errorf("got %s %s %q, want FAILED %s", d.Status, d.Error, d.Cause, c.wantError)
			}
		})
	}
}

func TestChoiceInputAndOutputPath(t *testing.T) {
	def := `{"StartAt":"C","States":{"C":{"Type":"Choice","InputPath":"$.in",
		"OutputPath":"$.keep","Choices":[{"Variable":"$.v","NumericEquals":1,"Next":"E"}]},
		"E":{"Type":"Succeed","OutputPath":"$.x"}}}`
	d := run(t, load(t, def, nil), `{"in":{"v":1,"keep":{"x":"done"}}}`)
	jsonEqual(t, "output", string(d.Output), `"done"`)
}

func TestFail(t *testing.T) {
	cases := []struct {
		name, fields, wantError, wantCause string
	}{
		{"static", `"Error":"Custom","Cause":"because"`, "Custom", "because"},
		{"paths", `"ErrorPath":"$.e","CausePath":"$.record.reason"`, "FromInput", "too small"},
		{"intrinsic", `"Error":"E","CausePath":"States.Format('{} failed: {}', $.e, $.n)"`, "E",
			"FromInput failed: 3"},
		{"context", `"Error":"E","CausePath":"$$.Execution.Name"`, "E", "fail-exec"},
		{"nothing", ``, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fields := ""
			if c.fields != "" {
				fields = "," + c.fields
			}
			def := `{"StartAt":"F","States":{"F":{"Type":"Fail"` + fields + `}}}`
			m := load(t, def, nil)
			d, err := m.Run(t.Context(), "fail-exec",
				[]byte(`{"e":"FromInput","n":3,"record":{"reason":"too small"}}`))
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != StatusFailed || d.Error != c.wantError || d.Cause != c.wantCause {
				t.Errorf("got %s %q %q, want FAILED %q %q", d.Status, d.Error, d.Cause,
					c.wantError, c.wantCause)
			}
			types := eventTypes(t, m, d.ExecutionArn)
			want := []EventType{ExecutionStarted, FailStateEntered, ExecutionFailed}
			if strings.Join(eventStrings(types), " ") != strings.Join(eventStrings(want), " ") {
				t.Errorf("history %v, want %v", types, want)
			}
		})
	}
}

func TestFailPathNotString(t *testing.T) {
	def := `{"StartAt":"F","States":{"F":{"Type":"Fail","CausePath":"$.n"}}}`
	d := run(t, load(t, def, nil), `{"n":1}`)
	if d.Error != ErrorRuntime {
		t.Errorf("error %s, want States.Runtime", d.Error)
	}
}

func eventStrings(types []EventType) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = string(t)
	}
	return out
}

func TestWait(t *testing.T) {
	cases := []struct {
		name, fields string
		want         float64
	}{
		{"Seconds", `"Seconds":7`, 7},
		{"SecondsPath", `"SecondsPath":"$.delay"`, 12},
		{"Timestamp in the past", `"Timestamp":"2001-01-01T00:00:00Z"`, -1},
		{"TimestampPath", `"TimestampPath":"$.at"`, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := `{"StartAt":"W","States":{"W":{"Type":"Wait",` + c.fields + `,"End":true}}}`
			var s sleeps
			m := load(t, def, nil, s.option())
			d := run(t, m, `{"delay":12,"at":"2001-01-01T00:00:00.5+01:00"}`)
			if d.Status != StatusSucceeded {
				t.Fatalf("status %s %s", d.Status, d.Cause)
			}
			got := s.get()
			if len(got) != 1 || (c.want >= 0 && got[0] != c.want) || (c.want < 0 && got[0] > 0) {
				t.Errorf("waited %v, want %v", got, c.want)
			}
		})
	}
}

func TestWaitPathNotANumber(t *testing.T) {
	for _, fields := range []string{`"SecondsPath":"$.s"`, `"TimestampPath":"$.s"`} {
		def := `{"StartAt":"W","States":{"W":{"Type":"Wait",` + fields + `,"End":true}}}`
		d := run(t, load(t, def, nil), `{"s":"soon"}`)
		if d.Status != StatusFailed || d.Error != ErrorRuntime {
			t.Errorf("%s: got %s %s, want States.Runtime", fields, d.Status, d.Error)
		}
	}
}
