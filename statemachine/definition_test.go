package statemachine

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRenderFillsEveryPlaceholder(t *testing.T) {
	arns := map[string]string{}
	for _, name := range Placeholders() {
		arns[name] = "arn:aws:lambda:eu-west-1:123456789012:function:" + name
	}
	if len(arns) != 4 {
		t.Fatalf("placeholders = %v, want the four step functions", Placeholders())
	}

	out, err := Render(arns)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "${") {
		t.Errorf("a placeholder is left in %s", out)
	}
	var doc struct {
		States map[string]struct {
			Type     string
			Resource string
			Comment  string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("rendered definition is not JSON: %v", err)
	}
	for name, s := range doc.States {
		if s.Comment == "" {
			t.Errorf("state %s has no Comment", name)
		}
		if s.Type == "Task" && !strings.HasPrefix(s.Resource, "arn:aws:lambda:") {
			t.Errorf("state %s resource = %q", name, s.Resource)
		}
	}
}

func TestRenderRefusesMissingAndUnknownNames(t *testing.T) {
	if _, err := Render(map[string]string{FetchFunction: "arn:x"}); err == nil {
		t.Error("Render with missing ARNs succeeded")
	}
	arns := map[string]string{"Bogus": "arn:x"}
	for _, name := range Placeholders() {
		arns[name] = "arn:x"
	}
	if _, err := Render(arns); err == nil {
		t.Error("Render with an unknown placeholder name succeeded")
	}
}
