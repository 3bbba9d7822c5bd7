package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagepipe/imagepipe/statemachine"
)

// TestASLValidator runs asl-validator on the definition as it is written (with
// ${...} placeholders, which asl-validator allows as Resource) and as it is
// deployed (with Lambda ARNs). Broken copies must be refused, so that a pass
// shows the validator ran on what it was given.
func TestASLValidator(t *testing.T) {
	t.Parallel()
	requireNode(t)
	rendered := renderedDefinition(t)

	tests := []struct {
		name       string
		definition []byte
		wantValid  bool
		wantStderr string
	}{
		{name: "as written", definition: []byte(statemachine.Source()), wantValid: true},
		{name: "rendered with Lambda ARNs", definition: rendered, wantValid: true},
		{
			name: "a Next to no state",
			definition: mutate(t, rendered, func(d map[string]any) {
				stateOf(d, "Fetch")["Next"] = "Nowhere"
			}),
			wantStderr: "MISSING_TRANSITION_TARGET",
		},
		{
			name: "a Resource that is not an ARN",
			definition: mutate(t, rendered, func(d map[string]any) {
				stateOf(d, "Resize")["Resource"] = "imagepipe-resize"
			}),
			wantStderr: "/States/Resize",
		},
		{
			name: "a field Step Functions does not know",
			definition: mutate(t, rendered, func(d map[string]any) {
				stateOf(d, "Persist")["Retries"] = 3
			}),
			wantStderr: "/States/Persist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "definition.asl.json")
			if err := os.WriteFile(path, tt.definition, 0o644); err != nil {
				t.Fatal(err)
			}

			run := runNode(t, validatorCLI, "--json-path", path)

			if valid := run.exitCode == 0; valid != tt.wantValid {
				t.Fatalf("asl-validator exit code %d, want valid=%v\nstdout: %s\nstderr: %s",
					run.exitCode, tt.wantValid, run.stdout, run.stderr)
			}
			if !tt.wantValid && run.exitCode != 1 {
				t.Errorf("asl-validator exit code %d, want 1 (a validation error)", run.exitCode)
			}
			if !strings.Contains(string(run.stderr), tt.wantStderr) {
				t.Errorf("asl-validator stderr = %s, want it to name %q", run.stderr, tt.wantStderr)
			}
		})
	}
}

// TestLintAcceptsDefinition checks the definition against the rules that
// asl-validator lets through, as written and as rendered.
func TestLintAcceptsDefinition(t *testing.T) {
	for name, definition := range map[string][]byte{
		"as written": []byte(statemachine.Source()),
		"rendered":   renderedDefinition(t),
	} {
		t.Run(name, func(t *testing.T) {
			problems, err := Lint(definition)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

// TestLintRefuses breaks the definition one rule at a time and checks that
// Lint names the rule; each of these passes asl-validator 4.0.0.
func TestLintRefuses(t *testing.T) {
	base := renderedDefinition(t)
	transient := `Lambda.ServiceException`

	tests := []struct {
		name   string
		mutate func(d map[string]any)
		want   string
	}{
		{
			name:   "BackoffRate below 1",
			mutate: func(d map[string]any) { retrierOf(d, "Fetch", 0)["BackoffRate"] = 0.5 },
			want:   "Fetch: Retry[0]: BackoffRate 0.5 is below 1.0, which AWS refuses",
		},
		{
			name:   "IntervalSeconds 0",
			mutate: func(d map[string]any) { retrierOf(d, "Resize", 1)["IntervalSeconds"] = 0 },
			want:   "Resize: Retry[1]: IntervalSeconds 0 is not a whole number from 1 to 99999999",
		},
		{
			name:   "MaxDelaySeconds 0",
			mutate: func(d map[string]any) { retrierOf(d, "Notify", 0)["MaxDelaySeconds"] = 0 },
			want:   "Notify: Retry[0]: MaxDelaySeconds 0 is not a whole number from 1 to 31622400",
		},
		{
			name:   "an unknown JitterStrategy",
			mutate: func(d map[string]any) { retrierOf(d, "Persist", 1)["JitterStrategy"] = "HALF" },
			want:   `Persist: Retry[1]: JitterStrategy "HALF" is neither NONE nor FULL`,
		},
		{
			name: "States.ALL before another retrier",
			mutate: func(d map[string]any) {
				s := stateOf(d, "Fetch")
				s["Retry"] = append([]any{map[string]any{"ErrorEquals": []any{"States.ALL"}}},
					s["Retry"].([]any)...)
			},
			want: "Fetch: Retry[0]: States.ALL must be alone in ErrorEquals and in the last retrier",
		},
		{
			name:   "an empty ErrorEquals",
			mutate: func(d map[string]any) { catcherOf(d, "Fetch", 0)["ErrorEquals"] = []any{} },
			want:   "Fetch: Catch[0]: ErrorEquals is empty",
		},
		{
			name:   "a Task without Retry",
			mutate: func(d map[string]any) { delete(stateOf(d, "NotifyRejection"), "Retry") },
			want:   "NotifyRejection: Retry does not cover " + transient,
		},
		{
			name: "a transient error left out",
			mutate: func(d map[string]any) {
				retrierOf(d, "Resize", 0)["ErrorEquals"] = []any{transient}
			},
			want: "Resize: Retry does not cover DependencyUnavailable",
		},
		{
			name:   "no MaxDelaySeconds",
			mutate: func(d map[string]any) { delete(retrierOf(d, "Persist", 0), "MaxDelaySeconds") },
			want:   "Persist: Retry[0], which covers " + transient + ", has no MaxDelaySeconds",
		},
		{
			name:   "no full jitter",
			mutate: func(d map[string]any) { retrierOf(d, "Fetch", 0)["JitterStrategy"] = "NONE" },
			want:   "Fetch: Retry[0], which covers " + transient + ", has no JitterStrategy FULL",
		},
		{
			name:   "MaxAttempts 0",
			mutate: func(d map[string]any) { retrierOf(d, "RecordRejection", 0)["MaxAttempts"] = 0 },
			want: "RecordRejection: Retry[0], which covers " + transient +
				", has MaxAttempts 0: it never retries",
		},
		{
			name: "a rejection retried",
			mutate: func(d map[string]any) {
				s := stateOf(d, "Fetch")
				s["Retry"] = append(s["Retry"].([]any), map[string]any{
					"ErrorEquals": []any{"States.TaskFailed"}, "MaxAttempts": 2,
				})
			},
			want: "Fetch: Retry[2] retries ImageRejected, which will never succeed",
		},
		{
			name:   "a rejection caught elsewhere",
			mutate: func(d map[string]any) { catcherOf(d, "Resize", 0)["Next"] = "Rejected" },
			want:   "Resize: Catch[0] sends ImageRejected to Rejected, not RecordRejection",
		},
		{
			name: "States.ALL caught",
			mutate: func(d map[string]any) {
				stateOf(d, "Persist")["Catch"] = []any{map[string]any{
					"ErrorEquals": []any{"States.ALL"}, "Next": "RecordRejection",
				}}
			},
			want: "Persist: Catch[0] catches States.ALL: a failure would not stop at its task",
		},
		{
			name: "DependencyUnavailable caught",
			mutate: func(d map[string]any) {
				catcherOf(d, "Fetch", 0)["ErrorEquals"] = []any{"ImageRejected",
					"DependencyUnavailable"}
			},
			want: "Fetch: Catch[0] catches DependencyUnavailable: " +
				"spent retries must fail the execution here",
		},
		{
			name: "States.TaskFailed caught",
			mutate: func(d map[string]any) {
				catcherOf(d, "Resize", 0)["ErrorEquals"] = []any{"States.TaskFailed"}
			},
			want: "Resize: Catch[0] catches DependencyUnavailable: " +
				"spent retries must fail the execution here",
		},
		{
			name:   "a state without Comment",
			mutate: func(d map[string]any) { delete(stateOf(d, "Rejected"), "Comment") },
			want:   "Rejected: no Comment",
		},
		{
			name:   "the machine without Comment",
			mutate: func(d map[string]any) { d["Comment"] = "" },
			want:   "the state machine has no Comment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := Lint(mutate(t, base, tt.mutate))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(problems, tt.want) {
				t.Errorf("Lint = %q\nwant it to contain %q", problems, tt.want)
			}
		})
	}
}

// mutate returns a copy of definition changed by fn.
func mutate(t *testing.T, definition []byte, fn func(d map[string]any)) []byte {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(definition, &d); err != nil {
		t.Fatal(err)
	}
	fn(d)
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func stateOf(d map[string]any, name string) map[string]any {
	return d["States"].(map[string]any)[name].(map[string]any)
}

func retrierOf(d map[string]any, state string, i int) map[string]any {
	return stateOf(d, state)["Retry"].([]any)[i].(map[string]any)
}

func catcherOf(d map[string]any, state string, i int) map[string]any {
	return stateOf(d, state)["Catch"].([]any)[i].(map[string]any)
}
