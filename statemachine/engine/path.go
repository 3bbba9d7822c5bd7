package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// path is a parsed JSONPath of the subset the engine supports: a root ($ for
// the data, $$ for the context object) followed by member names and array
// indexes. Wildcards, filters, slices and deep scans are load errors, so a
// definition never runs with a path the engine would evaluate differently
// from AWS.
type path struct {
	src     string
	context bool
	steps   []pathStep
}

type pathStep struct {
	key     string
	index   int
	isIndex bool
}

var rootPath = &path{src: "$"}

func (s pathStep) String() string {
	if s.isIndex {
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return "['" + s.key + "']"
}

// parsePath parses src; allowContext permits a $$ root.
func parsePath(src string, allowContext bool) (*path, error) {
	p := &path{src: src}
	rest, ok := strings.CutPrefix(src, "$")
	if !ok {
		return nil, fmt.Errorf("path %q does not start with $", src)
	}
	if r, ok := strings.CutPrefix(rest, "$"); ok {
		if !allowContext {
			return nil, fmt.Errorf("path %q may not use the context object", src)
		}
		p.context, rest = true, r
	}
	for rest != "" {
		step, r, err := parseStep(rest)
		if err != nil {
			return nil, fmt.Errorf("path %q: %v", src, err)
		}
		p.steps, rest = append(p.steps, step), r
	}
	return p, nil
}

func parseStep(s string) (pathStep, string, error) {
	switch s[0] {
	case '.':
		s = s[1:]
		end := strings.IndexAny(s, ".[")
		if end < 0 {
			end = len(s)
		}
		name := s[:end]
		if name == "" || name == "*" || strings.ContainsAny(name, "]'\"()?@ ") {
			return pathStep{}, "", fmt.Errorf("unsupported member %q", "."+name)
		}
		return pathStep{key: name}, s[end:], nil
	case '[':
		return parseBracket(s)
	}
	return pathStep{}, "", fmt.Errorf("unexpected %q", s)
}

func parseBracket(s string) (pathStep, string, error) {
	if len(s) > 1 && (s[1] == '\'' || s[1] == '"') {
		quote := s[1]
		end := strings.IndexByte(s[2:], quote)
		if end < 0 || len(s) < end+4 || s[end+3] != ']' {
			return pathStep{}, "", fmt.Errorf("unterminated %q", s)
		}
		return pathStep{key: s[2 : end+2]}, s[end+4:], nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return pathStep{}, "", fmt.Errorf("unterminated %q", s)
	}
	n, err := strconv.Atoi(s[1:end])
	if err != nil || n < 0 || s[1] == '+' {
		return pathStep{}, "", fmt.Errorf("unsupported selector %q", s[:end+1])
	}
	return pathStep{index: n, isIndex: true}, s[end+1:], nil
}

// get returns the value at p in data (or in the context object), and
// whether there is one.
func (p *path) get(data, contextObject any) (any, bool) {
	v := data
	if p.context {
		v = contextObject
	}
	for _, s := range p.steps {
		var ok bool
		if v, ok = s.get(v); !ok {
			return nil, false
		}
	}
	return v, true
}

func (s pathStep) get(v any) (any, bool) {
	if s.isIndex {
		a, ok := v.([]any)
		if !ok || s.index >= len(a) {
			return nil, false
		}
		return a[s.index], true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	x, ok := m[s.key]
	return x, ok
}

// set returns a copy of data with value placed at p, creating the objects
// on the way, as ResultPath does. data itself is never modified, because
// values are shared between states and the recorded history.
func (p *path) set(data, value any) (any, error) {
	return setSteps(data, p.steps, value, p.src)
}

func setSteps(data any, steps []pathStep, value any, src string) (any, error) {
	if len(steps) == 0 {
		return value, nil
	}
	m, ok := data.(map[string]any)
	if !ok {
		return nil, &stateError{name: ErrorResultPathFailure, cause: fmt.Sprintf(
			"Unable to apply ResultPath %q to input %s", src, compact(data))}
	}
	child, present := m[steps[0].key]
	if !present {
		child = map[string]any{}
	}
	child, err := setSteps(child, steps[1:], value, src)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[steps[0].key] = child
	return out, nil
}
