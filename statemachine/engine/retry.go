package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// retrier is one element of a Task's Retry, with the AWS defaults applied.
type retrier struct {
	errorEquals []string
	interval    float64
	maxAttempts int
	backoffRate float64
	maxDelay    float64 // 0: no cap
	fullJitter  bool
}

// catcher is one element of a Task's Catch.
type catcher struct {
	errorEquals []string
	resultPath  resultPath
	next        string
}

func parseRetry(state string, raw json.RawMessage) ([]retrier, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, &LoadError{State: state, Field: "Retry", Msg: "must be an array"}
	}
	out := make([]retrier, len(list))
	for i, r := range list {
		f, err := readFields(state, fmt.Sprintf("Retry[%d].", i), r, "ErrorEquals",
			"IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
			"JitterStrategy", "Comment")
		if err != nil {
			return nil, err
		}
		if out[i], err = parseRetrier(f); err != nil {
			return nil, err
		}
		if err := checkErrorEquals(f, out[i].errorEquals, i == len(list)-1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseRetrier(f *fields) (retrier, error) {
	r := retrier{interval: 1, maxAttempts: 3, backoffRate: 2}
	var err error
	if r.errorEquals, err = f.strings("ErrorEquals"); err != nil {
		return r, err
	}
	if f.has("IntervalSeconds") {
		n, err := f.integer("IntervalSeconds", 1)
		if err != nil {
			return r, err
		}
		r.interval = float64(n)
	}
	if f.has("MaxAttempts") {
		n, err := f.integer("MaxAttempts", 0)
		if err != nil {
			return r, err
		}
		r.maxAttempts = int(n)
	}
	if f.has("BackoffRate") {
		if r.backoffRate, err = f.number("BackoffRate", 1); err != nil {
			return r, err
		}
	}
	if f.has("MaxDelaySeconds") {
		n, err := f.integer("MaxDelaySeconds", 1)
		if err != nil {
			return r, err
		}
		r.maxDelay = float64(n)
	}
	return r, parseJitter(f, &r)
}

func parseJitter(f *fields, r *retrier) error {
	s, err := f.str("JitterStrategy")
	switch {
	case err != nil:
		return err
	case s == "FULL":
		r.fullJitter = true
	case s != "" && s != "NONE":
		return f.errorf("JitterStrategy", "must be FULL or NONE, is %q", s)
	}
	return nil
}

func parseCatch(state string, raw json.RawMessage) ([]catcher, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, &LoadError{State: state, Field: "Catch", Msg: "must be an array"}
	}
	out := make([]catcher, len(list))
	for i, c := range list {
		f, err := readFields(state, fmt.Sprintf("Catch[%d].", i), c, "ErrorEquals",
			"ResultPath", "Next", "Comment")
		if err != nil {
			return nil, err
		}
		if out[i].errorEquals, err = f.strings("ErrorEquals"); err != nil {
			return nil, err
		}
		if err := checkErrorEquals(f, out[i].errorEquals, i == len(list)-1); err != nil {
			return nil, err
		}
		if out[i].resultPath, err = f.resultPath("ResultPath"); err != nil {
			return nil, err
		}
		if out[i].next, err = f.requiredStr("Next"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkErrorEquals enforces the AWS rule that States.ALL stands alone in
// the last retrier or catcher.
func checkErrorEquals(f *fields, names []string, last bool) error {
	if slices.Contains(names, ErrorAll) && (len(names) > 1 || !last) {
		return f.errorf("ErrorEquals", "States.ALL must appear alone, in the last element")
	}
	return nil
}

// matches reports whether an error named name matches ErrorEquals, with the
// wildcards AWS defines: States.ALL matches every error that may be handled,
// States.TaskFailed every one except States.Timeout.
func matches(errorEquals []string, name string) bool {
	for _, e := range errorEquals {
		switch {
		case e == name, e == ErrorAll:
			return true
		case e == ErrorTaskFailed && name != ErrorTimeout:
			return true
		}
	}
	return false
}

// delay returns the wait in seconds before retry number attempt (0 for the
// first) of this retrier; random returns a value in [0, 1).
func (r *retrier) delay(attempt int, random func() float64) float64 {
	d := r.interval * math.Pow(r.backoffRate, float64(attempt))
	if r.maxDelay > 0 && d > r.maxDelay {
		d = r.maxDelay
	}
	if r.fullJitter {
		d *= random()
	}
	return d
}
