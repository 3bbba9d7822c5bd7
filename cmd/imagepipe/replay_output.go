package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// maxCauseText is how much of a cause the text output shows; --output json
// has all of it.
const maxCauseText = 200

// printHeader says what is about to be looked at, in text output.
func (r *replayer) printHeader(n int) {
	if r.opts.output != "text" {
		return
	}
	o := r.opts
	window := "any time"
	switch {
	case !o.since.IsZero() && !o.until.IsZero():
		window = o.since.UTC().Format(time.RFC3339) + " to " + o.until.UTC().Format(time.RFC3339)
	case !o.since.IsZero():
		window = "since " + o.since.UTC().Format(time.RFC3339)
	case !o.until.IsZero():
		window = "until " + o.until.UTC().Format(time.RFC3339)
	}
	var statuses []string
	for _, s := range o.statuses {
		statuses = append(statuses, string(s))
	}
	run := "dry run, nothing is changed (--execute to replay)"
	if o.execute {
		run = fmt.Sprintf("replaying at most %g a second", o.rate)
	}
	fmt.Fprintf(r.stdout, "%d %s executions of %s started %s; mode %s; %s\n\n",
		n, strings.Join(statuses, "/"), o.stateMachineArn, window, o.mode, run)
}

// printItem shows one execution as it is dealt with, in text output:
//
//	<name>  FAILED at Resize: DependencyUnavailable  (started <time>)
//	    upload: user-uploads/<userId>/<imageId>.jpg
//	    cause: ...
//	    redriven: redrivable
func (r *replayer) printItem(it *replayItem) {
	if r.opts.output != "text" {
		return
	}
	at := ""
	if it.State != "" {
		at = " at " + it.State
	}
	fmt.Fprintf(r.stdout, "%s  %s%s: %s  (started %s, redriven %d times)\n", it.Name,
		it.Status, at, orNone(it.Error), it.StartDate.UTC().Format(time.RFC3339),
		it.RedriveCount)
	if it.Key != "" {
		fmt.Fprintf(r.stdout, "    upload: %s\n", it.Key)
	}
	if it.Cause != "" {
		fmt.Fprintf(r.stdout, "    cause: %s\n", clip(it.Cause, maxCauseText))
	}
	fmt.Fprintf(r.stdout, "    %s\n\n", it.outcome(r.opts.execute))
}

// outcome is the line that says what was done, or would be.
func (it *replayItem) outcome(execute bool) string {
	if it.Failure != "" {
		return "FAILED: " + it.Failure
	}
	switch it.Action {
	case actionSkip:
		return "skipped, " + it.Reason
	case actionRedrive:
		if !execute {
			return "would redrive: " + it.Reason
		}
		return "redriven: " + it.Reason
	}
	name := executionName(it.ReplayArn)
	if !execute {
		return "would start " + name + " with the same input: " + it.Reason
	}
	return "started " + name + " with the same input: " + it.Reason
}

// text is the summary line of text output.
func (s replaySummary) text(execute bool) string {
	verb := "replayed"
	if !execute {
		verb = "dry run: would replay"
	}
	var why []string
	for _, k := range slices.Sorted(maps.Keys(s.SkipWhy)) {
		why = append(why, fmt.Sprintf("%s %d", k, s.SkipWhy[k]))
	}
	skipped := fmt.Sprintf("skipped %d", s.Skipped)
	if len(why) > 0 {
		skipped += " (" + strings.Join(why, ", ") + ")"
	}
	line := fmt.Sprintf("%s %d (redriven %d, restarted %d); %s; failed %d; of %d listed",
		verb, s.Replayed, s.Redriven, s.Restarted, skipped, s.Failed, s.Listed)
	if n := s.Succeeded + s.FailedAgain + s.StillRunning; n > 0 {
		line += fmt.Sprintf("; of the %d replays followed: succeeded %d, failed again %d, "+
			"still running %d", n, s.Succeeded, s.FailedAgain, s.StillRunning)
	}
	return line
}

func orNone(s string) string {
	if s == "" {
		return "no error"
	}
	return s
}

// clip shortens s to n bytes on a rune boundary, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
