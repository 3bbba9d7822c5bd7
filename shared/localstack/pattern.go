package localstack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Pattern is an EventBridge event pattern, the filter language of Pipes.
//
// The subset evaluated here: nested objects; arrays of exact values (strings,
// numbers, booleans, null), any of which may match; and the operators prefix,
// suffix, equals-ignore-case, anything-but (a value, a list of values, or a
// prefix) and exists. When the event holds an array where the pattern holds
// an object or values, the pattern matches if one element does. Anything else
// (numeric ranges, wildcards, $or, cidr) is refused when compiled, so a
// pattern never silently means something else here than in AWS.
type Pattern struct {
	root map[string]any
}

// CompilePattern parses and checks an event pattern.
func CompilePattern(src string) (*Pattern, error) {
	var root map[string]any
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, &ErrPattern{fmt.Sprintf("not a JSON object: %v", err)}
	}
	if len(root) == 0 {
		return nil, &ErrPattern{"the pattern is empty"}
	}
	if err := checkObject(root, ""); err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

func checkObject(obj map[string]any, path string) error {
	for k, v := range obj {
		p := path + "." + k
		switch v := v.(type) {
		case map[string]any:
			if err := checkObject(v, p); err != nil {
				return err
			}
		case []any:
			if len(v) == 0 {
				return &ErrPattern{p + ": an empty array matches nothing"}
			}
			for _, m := range v {
				if err := checkMatcher(m, p); err != nil {
					return err
				}
			}
		default:
			return &ErrPattern{p + ": a value must be an object or an array"}
		}
	}
	return nil
}

func checkMatcher(m any, path string) error {
	op, ok := m.(map[string]any)
	if !ok {
		return nil
	}
	if len(op) != 1 {
		return &ErrPattern{path + ": an operator object holds exactly one operator"}
	}
	for name, arg := range op {
		switch name {
		case "prefix", "suffix", "equals-ignore-case":
			if _, ok := arg.(string); !ok {
				return &ErrPattern{path + ": " + name + " takes a string"}
			}
		case "exists":
			if _, ok := arg.(bool); !ok {
				return &ErrPattern{path + ": exists takes true or false"}
			}
		case "anything-but":
			return checkAnythingBut(arg, path)
		default:
			return &ErrPattern{path + ": operator " + name + " is not supported locally"}
		}
	}
	return nil
}

func checkAnythingBut(arg any, path string) error {
	switch arg := arg.(type) {
	case string, json.Number:
	case []any:
		for _, v := range arg {
			switch v.(type) {
			case string, json.Number:
			default:
				return &ErrPattern{path + ": anything-but lists strings or numbers"}
			}
		}
	case map[string]any:
		if p, ok := arg["prefix"].(string); !ok || len(arg) != 1 || p == "" {
			return &ErrPattern{path + ": anything-but takes only a prefix object"}
		}
	default:
		return &ErrPattern{path + ": anything-but takes a value, a list or a prefix"}
	}
	return nil
}

// Match reports whether event, a decoded JSON value, matches the pattern.
func (p *Pattern) Match(event any) bool { return matchObject(p.root, event) }

// MatchJSON reports whether the JSON document event matches the pattern.
func (p *Pattern) MatchJSON(event []byte) bool {
	v, ok := decodeJSON(event)
	return ok && p.Match(v)
}

func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

func matchObject(pat map[string]any, v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range pat {
			field, present := v[k]
			switch sub := sub.(type) {
			case map[string]any:
				if !present || !matchObject(sub, field) {
					return false
				}
			case []any:
				if !matchValues(sub, field, present) {
					return false
				}
			}
		}
		return true
	case []any:
		for _, elem := range v {
			if matchObject(pat, elem) {
				return true
			}
		}
	}
	return false
}

func matchValues(matchers []any, field any, present bool) bool {
	if !present {
		for _, m := range matchers {
			if op, ok := m.(map[string]any); ok && op["exists"] == false {
				return true
			}
		}
		return false
	}
	values := []any{field}
	if list, ok := field.([]any); ok {
		values = list
	}
	for _, m := range matchers {
		if op, ok := m.(map[string]any); ok {
			if exists, ok := op["exists"].(bool); ok {
				if exists {
					return true
				}
				continue
			}
		}
		for _, v := range values {
			if matchValue(m, v) {
				return true
			}
		}
	}
	return false
}

func matchValue(m, v any) bool {
	op, isOp := m.(map[string]any)
	if !isOp {
		return equalValue(m, v)
	}
	s, isString := v.(string)
	for name, arg := range op {
		switch name {
		case "prefix":
			return isString && strings.HasPrefix(s, arg.(string))
		case "suffix":
			return isString && strings.HasSuffix(s, arg.(string))
		case "equals-ignore-case":
			return isString && strings.EqualFold(s, arg.(string))
		case "anything-but":
			return anythingBut(arg, v)
		}
	}
	return false
}

func anythingBut(arg, v any) bool {
	switch arg := arg.(type) {
	case []any:
		for _, a := range arg {
			if equalValue(a, v) {
				return false
			}
		}
		return isLeaf(v)
	case map[string]any:
		s, ok := v.(string)
		return ok && !strings.HasPrefix(s, arg["prefix"].(string))
	}
	return isLeaf(v) && !equalValue(arg, v)
}

func isLeaf(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// equalValue compares a pattern value with an event value; numbers compare
// by value, as EventBridge does (5 matches 5.0).
func equalValue(a, b any) bool {
	an, aNum := a.(json.Number)
	bn, bNum := b.(json.Number)
	if aNum || bNum {
		if !aNum || !bNum {
			return false
		}
		af, err1 := an.Float64()
		bf, err2 := bn.Float64()
		return err1 == nil && err2 == nil && af == bf
	}
	switch a := a.(type) {
	case string:
		s, ok := b.(string)
		return ok && a == s
	case bool:
		t, ok := b.(bool)
		return ok && a == t
	case nil:
		return b == nil
	}
	return false
}
