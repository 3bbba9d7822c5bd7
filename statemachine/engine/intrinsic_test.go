package engine

import (
	"regexp"
	"strings"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	input := `{"name":"Ada","n":3,"list":[1,"two",{"three":3}],"json":"{\"a\":[1,2]}",
		"obj":{"k":"v","q":"\"<&>"}}`
	cases := []struct{ expr, want string }{
		{`States.Format('Hello, my name is {}.', $.name)`, `"Hello, my name is Ada."`},
		{`States.Format('{} + {} = {}', $.n, 1, true)`, `"3 + 1 = true"`},
		{`States.Format('escaped \{\} and \' quote {}', null)`,
			`"escaped {} and ' quote null"`},
		{`States.StringToJson($.json)`, `{"a":[1,2]}`},
		{`States.JsonToString($.obj)`, `"{\"k\":\"v\",\"q\":\"\\\"<&>\"}"`},
		{`States.Array('a', $.n, States.Array(1, 2))`, `["a",3,[1,2]]`},
		{`States.ArrayGetItem($.list, 2)`, `{"three":3}`},
		{`States.ArrayLength($.list)`, `3`},
		{`States.MathAdd($.n, -10)`, `-7`},
		{`States.MathAdd(States.ArrayLength($.list), 1)`, `4`},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true,
				"Parameters":{"v.$":` + quote(c.expr) + `}}}}`
			d := run(t, load(t, def, nil), input)
			if d.Status != StatusSucceeded {
				t.Fatalf("status %s %s", d.Status, d.Cause)
			}
			jsonEqual(t, "result", string(d.Output), `{"v":`+c.want+`}`)
		})
	}
}

func quote(s string) string { return compact(s) }

func TestUUID(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true,
		"Parameters":{"id.$":"States.UUID()"}}}}`
	d := run(t, load(t, def, nil), `{}`)
	v, _ := decodeValue(d.Output)
	id, _ := v.(map[string]any)["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).
		MatchString(id) {
		t.Errorf("UUID %q", id)
	}
}

// A failing intrinsic is a States.Runtime error of the state.
func TestIntrinsicFailures(t *testing.T) {
	cases := []string{
		`States.ArrayGetItem($.list, 5)`,
		`States.StringToJson($.name)`,
		`States.MathAdd($.n, 1.5)`,
		`States.Format('{} {}', $.n)`,
		`States.ArrayLength($.n)`,
	}
	for _, expr := range cases {
		t.Run(expr, func(t *testing.T) {
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true,
				"Parameters":{"v.$":` + quote(expr) + `}}}}`
			d := run(t, load(t, def, nil), `{"name":"not json","n":3,"list":[1]}`)
			if d.Status != StatusFailed || d.Error != ErrorRuntime ||
				!strings.Contains(d.Cause, expr) {
				t.Errorf("got %s %s %q", d.Status, d.Error, d.Cause)
			}
		})
	}
}
