package engine

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// template is a parsed Parameters or ResultSelector value: literals are
// copied, and every key ending in ".$" takes its value from a path, the
// context object or an intrinsic function.
type template interface {
	eval(data, contextObject any) (any, error)
}

type literalTemplate struct{ v any }

type objectTemplate struct {
	keys []string
	vals []template
}

type arrayTemplate []template

// expr is a value taken from the data: a path or an intrinsic call. field
// names the ".$" key it came from, for the error message AWS gives.
type expr struct {
	field string
	path  *path
	call  *call
}

func parseTemplate(raw json.RawMessage) (template, error) {
	v, err := decodeValue(raw)
	if err != nil {
		return nil, err
	}
	return buildTemplate(v)
}

func buildTemplate(v any) (template, error) {
	switch x := v.(type) {
	case map[string]any:
		return buildObject(x)
	case []any:
		out := make(arrayTemplate, len(x))
		for i, e := range x {
			t, err := buildTemplate(e)
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	}
	return literalTemplate{v}, nil
}

func buildObject(m map[string]any) (template, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := &objectTemplate{}
	seen := map[string]bool{}
	for _, k := range keys {
		t, name, err := buildMember(k, m[k])
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("the key %q is given twice", name)
		}
		seen[name] = true
		out.keys, out.vals = append(out.keys, name), append(out.vals, t)
	}
	return out, nil
}

func buildMember(key string, v any) (template, string, error) {
	name, dynamic := strings.CutSuffix(key, ".$")
	if !dynamic {
		t, err := buildTemplate(v)
		return t, key, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, "", fmt.Errorf("the value of %q must be a path or an intrinsic function", key)
	}
	e, err := parseExpr(key, s)
	return e, name, err
}

// parseExpr parses the value of a ".$" field (or of ErrorPath, CausePath).
func parseExpr(field, s string) (*expr, error) {
	if looksIntrinsic(s) {
		c, err := parseCall(s)
		return &expr{field: field, call: c}, err
	}
	p, err := parsePath(s, true)
	return &expr{field: field, path: p}, err
}

func (t literalTemplate) eval(_, _ any) (any, error) { return t.v, nil }

func (t *objectTemplate) eval(data, contextObject any) (any, error) {
	out := make(map[string]any, len(t.keys))
	for i, k := range t.keys {
		v, err := t.vals[i].eval(data, contextObject)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (t arrayTemplate) eval(data, contextObject any) (any, error) {
	out := make([]any, len(t))
	for i, e := range t {
		v, err := e.eval(data, contextObject)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (e *expr) eval(data, contextObject any) (any, error) {
	if e.call != nil {
		return e.call.eval(data, contextObject)
	}
	v, ok := e.path.get(data, contextObject)
	if !ok {
		in := data
		if e.path.context {
			in = contextObject
		}
		return nil, runtimeError("The JSONPath '%s' specified for the field '%s' "+
			"could not be found in the input '%s'", e.path.src, e.field, compact(in))
	}
	return v, nil
}
