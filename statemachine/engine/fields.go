package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
)

// fields reads one JSON object of the definition strictly: every key must be
// allowed, and every value must have the right type. Errors name the state
// and the field, with prefix locating nested objects such as "Retry[1].".
type fields struct {
	state  string
	prefix string
	m      map[string]json.RawMessage
}

func readFields(state, prefix string, raw json.RawMessage, allowed ...string) (*fields, error) {
	f := &fields{state: state, prefix: prefix}
	if err := json.Unmarshal(raw, &f.m); err != nil || f.m == nil {
		return nil, f.errorf("", "must be a JSON object")
	}
	keys := make([]string, 0, len(f.m))
	for k := range f.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return nil, f.errorf(k, "unknown or not supported")
		}
	}
	return f, nil
}

func (f *fields) errorf(field, format string, args ...any) *LoadError {
	name := f.prefix + field
	if field == "" && f.prefix != "" {
		name = f.prefix[:len(f.prefix)-1]
	}
	return &LoadError{State: f.state, Field: name, Msg: fmt.Sprintf(format, args...)}
}

func (f *fields) has(name string) bool {
	_, ok := f.m[name]
	return ok
}

// isNull reports whether name is present with the value null, which for
// InputPath, OutputPath and ResultPath means something else than absent.
func (f *fields) isNull(name string) bool {
	raw, ok := f.m[name]
	return ok && string(raw) == "null"
}

func (f *fields) str(name string) (string, error) {
	raw, ok := f.m[name]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", f.errorf(name, "must be a string")
	}
	return s, nil
}

func (f *fields) requiredStr(name string) (string, error) {
	if !f.has(name) {
		return "", f.errorf(name, "is required")
	}
	s, err := f.str(name)
	if err == nil && s == "" {
		err = f.errorf(name, "must not be empty")
	}
	return s, err
}

func (f *fields) number(name string, min float64) (float64, error) {
	var n float64
	if err := json.Unmarshal(f.m[name], &n); err != nil {
		return 0, f.errorf(name, "must be a number")
	}
	if n < min {
		return 0, f.errorf(name, "must be at least %v, is %v", min, n)
	}
	return n, nil
}

// integer reads a whole number of at least min; AWS refuses 1.5 seconds.
func (f *fields) integer(name string, min int64) (int64, error) {
	n, err := f.number(name, float64(min))
	if err != nil {
		return 0, err
	}
	if n != math.Trunc(n) || n > 99999999 {
		return 0, f.errorf(name, "must be an integer up to 99999999, is %v", n)
	}
	return int64(n), nil
}

func (f *fields) strings(name string) ([]string, error) {
	var out []string
	if err := json.Unmarshal(f.m[name], &out); err != nil || len(out) == 0 {
		return nil, f.errorf(name, "must be a non-empty array of strings")
	}
	return out, nil
}

// optionalPath reads InputPath or OutputPath: absent is $, null is nil.
func (f *fields) optionalPath(name string) (*path, error) {
	if !f.has(name) {
		return rootPath, nil
	}
	if f.isNull(name) {
		return nil, nil
	}
	s, err := f.str(name)
	if err != nil {
		return nil, err
	}
	p, perr := parsePath(s, true)
	if perr != nil {
		return nil, f.errorf(name, "%v", perr)
	}
	return p, nil
}

// resultPath reads a ResultPath: absent is $, null discards the result.
func (f *fields) resultPath(name string) (resultPath, error) {
	if !f.has(name) {
		return resultPath{path: rootPath}, nil
	}
	if f.isNull(name) {
		return resultPath{discard: true}, nil
	}
	s, err := f.str(name)
	if err != nil {
		return resultPath{}, err
	}
	p, perr := parsePath(s, false)
	if perr != nil {
		return resultPath{}, f.errorf(name, "%v", perr)
	}
	for _, st := range p.steps {
		if st.isIndex {
			return resultPath{}, f.errorf(name, "an array index in ResultPath is not supported")
		}
	}
	return resultPath{path: p}, nil
}

func (f *fields) template(name string) (template, error) {
	raw, ok := f.m[name]
	if !ok {
		return nil, nil
	}
	t, err := parseTemplate(raw)
	if err != nil {
		return nil, f.errorf(name, "%v", err)
	}
	return t, nil
}

func (f *fields) expr(name string) (*expr, error) {
	s, err := f.str(name)
	if err != nil || !f.has(name) {
		return nil, err
	}
	e, perr := parseExpr(name, s)
	if perr != nil {
		return nil, f.errorf(name, "%v", perr)
	}
	return e, nil
}

// resultPath is where a result goes in the state's input.
type resultPath struct {
	discard bool
	path    *path
}

// apply combines the state's raw input with the result.
func (r resultPath) apply(input, result any) (any, error) {
	if r.discard {
		return input, nil
	}
	return r.path.set(input, result)
}
