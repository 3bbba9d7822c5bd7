// Package settings reads the Lambdas' configuration from environment
// variables, with defaults and errors that name the variable.
package settings

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env looks up variables; [OS] reads the process environment, and tests pass
// a map's lookup.
type Env func(name string) string

// OS is the process environment.
var OS Env = os.Getenv

// Map returns an Env over m.
func Map(m map[string]string) Env { return func(name string) string { return m[name] } }

// Error reports a variable whose value is missing or invalid.
type Error struct {
	Name   string
	Value  string
	Reason string
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("settings: %s %s", e.Name, e.Reason)
	}
	return fmt.Sprintf("settings: %s=%q %s", e.Name, e.Value, e.Reason)
}

// Required returns the value of name, or an error when it is empty.
func (env Env) Required(name string) (string, error) {
	v := strings.TrimSpace(env(name))
	if v == "" {
		return "", &Error{Name: name, Reason: "is required"}
	}
	return v, nil
}

// String returns the value of name, or def when it is empty.
func (env Env) String(name, def string) string {
	if v := strings.TrimSpace(env(name)); v != "" {
		return v
	}
	return def
}

// Int64 returns the value of name as an integer in [min, max], or def when
// it is empty.
func (env Env) Int64(name string, def, min, max int64) (int64, error) {
	v := strings.TrimSpace(env(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		return 0, &Error{Name: name, Value: v,
			Reason: fmt.Sprintf("must be an integer from %d to %d", min, max)}
	}
	return n, nil
}

// Duration returns the value of name as a Go duration in [min, max], or def
// when it is empty.
func (env Env) Duration(name string, def, min, max time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(env(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		return 0, &Error{Name: name, Value: v,
			Reason: fmt.Sprintf("must be a duration from %s to %s", min, max)}
	}
	return d, nil
}

// List returns the comma-separated values of name, trimmed and without
// empties, or def when there are none.
func (env Env) List(name string, def []string) []string {
	var out []string
	for _, v := range strings.Split(env(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return def
	}
	return out
}
