package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// rule is one Choice rule: a boolean combination (And, Or, Not) or a
// comparison of the value at variable.
type rule struct {
	next      string
	and, or   []*rule
	not       *rule
	variable  *path
	op        string
	kind      string // String, Numeric, Boolean, Timestamp or Is
	cmp       string // Equals, LessThan, GreaterThan, LessThanEquals, GreaterThanEquals
	value     any
	valuePath *path
	pattern   *regexp.Regexp
}

var comparisons = []string{"LessThanEquals", "GreaterThanEquals", "Equals", "LessThan",
	"GreaterThan"}

var typeTests = map[string]bool{"IsNull": true, "IsPresent": true, "IsNumeric": true,
	"IsString": true, "IsBoolean": true, "IsTimestamp": true}

// splitOperator names the kind and comparison of a data-test operator, and
// reports whether it is one.
func splitOperator(op string) (kind, cmp string, isPath, ok bool) {
	if typeTests[op] {
		return "Is", op, false, true
	}
	if op == "StringMatches" {
		return "String", "Matches", false, true
	}
	base, isPath := strings.CutSuffix(op, "Path")
	for _, k := range []string{"String", "Numeric", "Boolean", "Timestamp"} {
		rest, found := strings.CutPrefix(base, k)
		if !found {
			continue
		}
		for _, c := range comparisons {
			if rest == c && (k != "Boolean" || c == "Equals") {
				return k, c, isPath, true
			}
		}
	}
	return "", "", false, false
}

// parseRule parses a rule; top says whether it is a top-level rule, which
// needs a Next, rather than one nested in And, Or or Not, which may not have
// one.
func parseRule(raw json.RawMessage, top bool) (*rule, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("a choice rule must be an object")
	}
	r := &rule{}
	delete(m, "Comment")
	var ops []string
	for _, k := range sortedKeys(m) {
		if k == "Variable" || k == "Next" {
			continue
		}
		if _, _, _, ok := splitOperator(k); !ok && k != "And" && k != "Or" && k != "Not" {
			return nil, fmt.Errorf("field %s is unknown or not supported in a choice rule", k)
		}
		ops = append(ops, k)
	}
	if err := r.parseNext(m, top); err != nil {
		return nil, err
	}
	if len(ops) != 1 {
		return nil, fmt.Errorf("a choice rule needs exactly one operator, has %v", ops)
	}
	return r, r.parseOperator(ops[0], m)
}

func (r *rule) parseNext(m map[string]json.RawMessage, top bool) error {
	raw, has := m["Next"]
	delete(m, "Next")
	switch {
	case top && !has:
		return fmt.Errorf("a choice rule has no Next")
	case !top && has:
		return fmt.Errorf("a nested choice rule may not have a Next")
	case has:
		if err := json.Unmarshal(raw, &r.next); err != nil || r.next == "" {
			return fmt.Errorf("Next must be a state name")
		}
	}
	return nil
}

func (r *rule) parseOperator(op string, m map[string]json.RawMessage) error {
	r.op = op
	switch op {
	case "And", "Or":
		return r.parseList(op, m)
	case "Not":
		if _, has := m["Variable"]; has {
			return fmt.Errorf("Not may not have a Variable")
		}
		sub, err := parseRule(m[op], false)
		r.not = sub
		return err
	}
	kind, cmp, isPath, _ := splitOperator(op)
	r.kind, r.cmp = kind, cmp
	if err := r.parseVariable(m); err != nil {
		return err
	}
	if isPath {
		var s string
		if err := json.Unmarshal(m[op], &s); err != nil {
			return fmt.Errorf("%s must be a path", op)
		}
		p, err := parsePath(s, true)
		r.valuePath = p
		return err
	}
	return r.parseValue(m[op])
}

func (r *rule) parseList(op string, m map[string]json.RawMessage) error {
	if _, has := m["Variable"]; has {
		return fmt.Errorf("%s may not have a Variable", op)
	}
	var subs []json.RawMessage
	if err := json.Unmarshal(m[op], &subs); err != nil || len(subs) == 0 {
		return fmt.Errorf("%s must be a non-empty array of rules", op)
	}
	for _, s := range subs {
		sub, err := parseRule(s, false)
		if err != nil {
			return err
		}
		if op == "And" {
			r.and = append(r.and, sub)
		} else {
			r.or = append(r.or, sub)
		}
	}
	return nil
}

func (r *rule) parseVariable(m map[string]json.RawMessage) error {
	var s string
	if err := json.Unmarshal(m["Variable"], &s); err != nil || s == "" {
		return fmt.Errorf("%s needs a Variable path", r.op)
	}
	p, err := parsePath(s, true)
	r.variable = p
	return err
}

// parseValue checks the literal against the operator's type at load time,
// as AWS does when the state machine is created.
func (r *rule) parseValue(raw json.RawMessage) error {
	v, err := decodeValue(raw)
	if err != nil {
		return fmt.Errorf("%s: %v", r.op, err)
	}
	r.value = v
	ok := false
	switch r.kind {
	case "Is", "Boolean":
		_, ok = v.(bool)
	case "Numeric":
		_, ok = v.(json.Number)
	case "String":
		var s string
		if s, ok = v.(string); ok && r.cmp == "Matches" {
			r.pattern = wildcard(s)
		}
	case "Timestamp":
		s, isString := v.(string)
		_, err := parseTimestamp(s)
		ok = isString && err == nil
	}
	if !ok {
		return fmt.Errorf("%s has a value of the wrong type: %s", r.op, raw)
	}
	return nil
}

// wildcard compiles a StringMatches pattern: * matches any run of
// characters, \* a star and \\ a backslash.
func wildcard(s string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			b.WriteString(regexp.QuoteMeta(s[i : i+1]))
		case s[i] == '*':
			b.WriteString("(?s:.*)")
		default:
			b.WriteString(regexp.QuoteMeta(s[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func parseTimestamp(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// match evaluates the rule. A Variable that selects nothing is a
// States.Runtime error except for IsPresent, as in AWS.
func (r *rule) match(data, contextObject any) (bool, error) {
	switch r.op {
	case "And":
		for _, s := range r.and {
			if ok, err := s.match(data, contextObject); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, s := range r.or {
			if ok, err := s.match(data, contextObject); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "Not":
		ok, err := r.not.match(data, contextObject)
		return !ok && err == nil, err
	}
	v, present := r.variable.get(data, contextObject)
	if r.op == "IsPresent" {
		return present == r.value.(bool), nil
	}
	if !present {
		return false, runtimeError("Invalid path '%s': The choice state's condition "+
			"path references an invalid value.", r.variable.src)
	}
	if r.kind == "Is" {
		return r.typeTest(v) == r.value.(bool), nil
	}
	want := r.value
	if r.valuePath != nil {
		var ok bool
		if want, ok = r.valuePath.get(data, contextObject); !ok {
			return false, runtimeError("Invalid path '%s': The choice state's condition "+
				"path references an invalid value.", r.valuePath.src)
		}
	}
	return r.compare(v, want), nil
}

func (r *rule) typeTest(v any) bool {
	switch r.cmp {
	case "IsNull":
		return v == nil
	case "IsNumeric":
		_, ok := v.(json.Number)
		return ok
	case "IsString":
		_, ok := v.(string)
		return ok
	case "IsBoolean":
		_, ok := v.(bool)
		return ok
	}
	s, ok := v.(string)
	_, err := parseTimestamp(s)
	return ok && err == nil
}

// compare applies the operator; values of the wrong type never match, they
// are not an error.
func (r *rule) compare(v, want any) bool {
	switch r.kind {
	case "Boolean":
		a, okA := v.(bool)
		b, okB := want.(bool)
		return okA && okB && a == b
	case "String":
		a, okA := v.(string)
		b, okB := want.(string)
		if r.cmp == "Matches" {
			return okA && r.pattern.MatchString(a)
		}
		return okA && okB && ordered(strings.Compare(a, b), r.cmp)
	case "Numeric":
		return compareNumbers(v, want, r.cmp)
	}
	return compareTimestamps(v, want, r.cmp)
}

func compareNumbers(v, want any, cmp string) bool {
	a, okA := v.(json.Number)
	b, okB := want.(json.Number)
	if !okA || !okB {
		return false
	}
	x, okX := new(big.Rat).SetString(string(a))
	y, okY := new(big.Rat).SetString(string(b))
	return okX && okY && ordered(x.Cmp(y), cmp)
}

func compareTimestamps(v, want any, cmp string) bool {
	a, okA := v.(string)
	b, okB := want.(string)
	if !okA || !okB {
		return false
	}
	x, errX := parseTimestamp(a)
	y, errY := parseTimestamp(b)
	return errX == nil && errY == nil && ordered(x.Compare(y), cmp)
}

// ordered reports whether a three-way comparison result satisfies cmp.
func ordered(c int, cmp string) bool {
	switch cmp {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	}
	return c >= 0
}
