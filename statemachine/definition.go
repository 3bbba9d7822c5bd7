// Package statemachine holds the image pipeline's Amazon States Language
// definition, the one file that both the deployed state machine and the local
// engine run.
package statemachine

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

//go:embed definition.asl.json
var definition string

// Placeholder names of the Lambda ARNs in the definition, written ${Name}.
const (
	FetchFunction   = "FetchFunctionArn"
	ResizeFunction  = "ResizeFunctionArn"
	PersistFunction = "PersistFunctionArn"
	NotifyFunction  = "NotifyFunctionArn"
)

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)

// Source returns the definition as written, with its placeholders.
func Source() string { return definition }

// Placeholders returns the names of the placeholders the definition uses,
// sorted.
func Placeholders() []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(definition, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

// Render returns the definition with every ${Name} placeholder replaced by
// arns[Name]. It fails when a placeholder has no value, when arns names a
// placeholder the definition lacks, or when the result is not valid JSON.
func Render(arns map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(definition, func(m string) string {
		name := m[2 : len(m)-1]
		arn, ok := arns[name]
		if !ok || arn == "" {
			missing = append(missing, name)
			return m
		}
		quoted, _ := json.Marshal(arn)
		return strings.Trim(string(quoted), `"`)
	})
	if len(missing) > 0 {
		slices.Sort(missing)
		return "", fmt.Errorf("statemachine: no ARN for %s", strings.Join(slices.Compact(missing), ", "))
	}
	for name := range arns {
		if !slices.Contains(Placeholders(), name) {
			return "", fmt.Errorf("statemachine: the definition has no placeholder %s", name)
		}
	}
	if !json.Valid([]byte(out)) {
		return "", fmt.Errorf("statemachine: the rendered definition is not valid JSON")
	}
	return out, nil
}
