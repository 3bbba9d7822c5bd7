package conformance

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/imagepipe/imagepipe/shared/steperr"
)

// TransientErrors are the error names that every Task must retry with
// exponential backoff, MaxDelaySeconds and full jitter: the errors the Lambda
// service itself reports, throttling, and the project's own retryable
// dependency failure. None may be caught: once its retries are spent the
// execution must fail at that task, so that a redrive resumes there.
var TransientErrors = []string{
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
	steperr.NameDependencyUnavailable,
}

// RejectionState is the only state a Catch of [steperr.NameImageRejected]
// may lead to.
const RejectionState = "RecordRejection"

// Limits of the Retry fields that AWS enforces when a state machine is
// created or updated.
const (
	maxIntervalSeconds = 99999999
	maxDelaySeconds    = 31622400
)

const (
	errorAll        = "States.ALL"
	errorTaskFailed = "States.TaskFailed"
	errorTimeout    = "States.Timeout"
)

type lintMachine struct {
	Comment *string              `json:"Comment"`
	States  map[string]lintState `json:"States"`
}

type lintState struct {
	Type          string        `json:"Type"`
	Comment       *string       `json:"Comment"`
	Retry         []lintRetrier `json:"Retry"`
	Catch         []lintCatcher `json:"Catch"`
	Branches      []lintMachine `json:"Branches"`
	ItemProcessor *lintMachine  `json:"ItemProcessor"`
	Iterator      *lintMachine  `json:"Iterator"`
}

type lintRetrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds *float64 `json:"IntervalSeconds"`
	MaxAttempts     *float64 `json:"MaxAttempts"`
	BackoffRate     *float64 `json:"BackoffRate"`
	MaxDelaySeconds *float64 `json:"MaxDelaySeconds"`
	JitterStrategy  *string  `json:"JitterStrategy"`
}

type lintCatcher struct {
	ErrorEquals []string `json:"ErrorEquals"`
	Next        string   `json:"Next"`
}

// Lint returns the rules that definition breaks, one sentence each, sorted by
// state. They are the rules that asl-validator 4.0.0 lets through:
//
//   - AWS's own: BackoffRate at least 1.0, IntervalSeconds and
//     MaxDelaySeconds whole numbers in range, JitterStrategy NONE or FULL,
//     ErrorEquals not empty, States.ALL alone and in the last retrier or
//     catcher;
//   - the project's: every state and the machine have a Comment; every Task
//     retries each of [TransientErrors] with MaxDelaySeconds and
//     JitterStrategy FULL; ImageRejected is never retried and is caught only
//     into [RejectionState]; no Catch matches States.ALL or a transient error.
//
// It fails only when definition is not a JSON state machine.
func Lint(definition []byte) ([]string, error) {
	var m lintMachine
	if err := json.Unmarshal(definition, &m); err != nil {
		return nil, fmt.Errorf("conformance: definition: %w", err)
	}
	if m.States == nil {
		return nil, fmt.Errorf("conformance: definition has no States")
	}

	var problems []string
	if m.Comment == nil || *m.Comment == "" {
		problems = append(problems, "the state machine has no Comment")
	}
	lintStates(m, "", &problems)
	return problems, nil
}

// lintStates checks the states of m and of the machines nested in them,
// naming each state with prefix before it.
func lintStates(m lintMachine, prefix string, problems *[]string) {
	names := make([]string, 0, len(m.States))
	for name := range m.States {
		names = append(names, name)
	}
	sort.Strings(names)

	for _, name := range names {
		s := m.States[name]
		where := prefix + name
		report := func(format string, args ...any) {
			*problems = append(*problems, where+": "+fmt.Sprintf(format, args...))
		}

		if s.Comment == nil || *s.Comment == "" {
			report("no Comment")
		}
		for i, r := range s.Retry {
			lintRetrierFields(r, fmt.Sprintf("Retry[%d]", i), i == len(s.Retry)-1, report)
		}
		for i, c := range s.Catch {
			field := fmt.Sprintf("Catch[%d]", i)
			lintErrorEquals(c.ErrorEquals, field, "catcher", i == len(s.Catch)-1, report)
		}
		if s.Type == "Task" {
			lintTaskRetry(s, report)
		}
		lintTaskCatch(s, report)

		for i, b := range s.Branches {
			lintStates(b, fmt.Sprintf("%sBranches[%d].", where, i), problems)
		}
		if s.ItemProcessor != nil {
			lintStates(*s.ItemProcessor, where+".ItemProcessor.", problems)
		}
		if s.Iterator != nil {
			lintStates(*s.Iterator, where+".Iterator.", problems)
		}
	}
}

// lintRetrierFields applies AWS's rules on the fields of one retrier.
func lintRetrierFields(r lintRetrier, field string, last bool, report func(string, ...any)) {
	lintErrorEquals(r.ErrorEquals, field, "retrier", last, report)
	if r.BackoffRate != nil && *r.BackoffRate < 1 {
		report("%s: BackoffRate %v is below 1.0, which AWS refuses", field, *r.BackoffRate)
	}
	if v := r.IntervalSeconds; v != nil && !wholeIn(*v, 1, maxIntervalSeconds) {
		report("%s: IntervalSeconds %v is not a whole number from 1 to %d",
			field, *v, maxIntervalSeconds)
	}
	if v := r.MaxDelaySeconds; v != nil && !wholeIn(*v, 1, maxDelaySeconds) {
		report("%s: MaxDelaySeconds %v is not a whole number from 1 to %d",
			field, *v, maxDelaySeconds)
	}
	if j := r.JitterStrategy; j != nil && *j != "NONE" && *j != "FULL" {
		report("%s: JitterStrategy %q is neither NONE nor FULL", field, *j)
	}
}

// lintErrorEquals applies AWS's rules on the ErrorEquals of a retrier or a
// catcher.
func lintErrorEquals(names []string, field, kind string, last bool,
	report func(string, ...any)) {

	if len(names) == 0 {
		report("%s: ErrorEquals is empty", field)
	}
	if slices.Contains(names, errorAll) && (len(names) > 1 || !last) {
		report("%s: States.ALL must be alone in ErrorEquals and in the last %s", field, kind)
	}
}

// lintTaskRetry checks that a Task retries every transient error with a
// capped, fully jittered backoff, and never retries a rejection.
func lintTaskRetry(s lintState, report func(string, ...any)) {
	for _, name := range TransientErrors {
		i := firstMatch(len(s.Retry), func(i int) []string { return s.Retry[i].ErrorEquals }, name)
		if i < 0 {
			report("Retry does not cover %s", name)
			continue
		}
		r := s.Retry[i]
		if r.MaxAttempts != nil && *r.MaxAttempts < 1 {
			report("Retry[%d], which covers %s, has MaxAttempts %v: it never retries",
				i, name, *r.MaxAttempts)
		}
		if r.MaxDelaySeconds == nil {
			report("Retry[%d], which covers %s, has no MaxDelaySeconds", i, name)
		}
		if r.JitterStrategy == nil || *r.JitterStrategy != "FULL" {
			report("Retry[%d], which covers %s, has no JitterStrategy FULL", i, name)
		}
	}

	i := firstMatch(len(s.Retry), func(i int) []string { return s.Retry[i].ErrorEquals },
		steperr.NameImageRejected)
	if i >= 0 && (s.Retry[i].MaxAttempts == nil || *s.Retry[i].MaxAttempts > 0) {
		report("Retry[%d] retries %s, which will never succeed", i, steperr.NameImageRejected)
	}
}

// lintTaskCatch checks that only a rejection is caught, and only into
// [RejectionState].
func lintTaskCatch(s lintState, report func(string, ...any)) {
	for i, c := range s.Catch {
		if slices.Contains(c.ErrorEquals, errorAll) {
			report("Catch[%d] catches States.ALL: a failure would not stop at its task", i)
		}
		for _, name := range TransientErrors {
			if matches(c.ErrorEquals, name) {
				report("Catch[%d] catches %s: spent retries must fail the execution here", i, name)
			}
		}
	}

	i := firstMatch(len(s.Catch), func(i int) []string { return s.Catch[i].ErrorEquals },
		steperr.NameImageRejected)
	if i >= 0 && s.Catch[i].Next != RejectionState {
		report("Catch[%d] sends %s to %s, not %s",
			i, steperr.NameImageRejected, s.Catch[i].Next, RejectionState)
	}
}

// firstMatch returns the index of the first of n retriers or catchers whose
// ErrorEquals matches the error name, or -1: Step Functions uses only that
// one.
func firstMatch(n int, errorEquals func(int) []string, name string) int {
	for i := range n {
		if matches(errorEquals(i), name) {
			return i
		}
	}
	return -1
}

// matches reports whether ErrorEquals matches a Task's error name as Step
// Functions does: by name, by States.ALL, or by States.TaskFailed, which
// matches every error but States.Timeout.
func matches(errorEquals []string, name string) bool {
	for _, e := range errorEquals {
		if e == name || e == errorAll || (e == errorTaskFailed && name != errorTimeout) {
			return true
		}
	}
	return false
}

// wholeIn reports whether v is a whole number from lo to hi.
func wholeIn(v float64, lo, hi int) bool {
	return v == math.Trunc(v) && v >= float64(lo) && v <= float64(hi)
}
