package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/imagepipe/imagepipe/shared/s3event"
	"github.com/imagepipe/imagepipe/shared/steperr"
)

// replayer carries out one run of the replay subcommand.
type replayer struct {
	client *sfn.Client
	opts   replayOptions
	stdout io.Writer
	bucket *tokenBucket

	revisionID string // of the state machine's current definition
	actions    int    // replays done or planned, for --max
}

// replayItem is one execution: what it is, where it failed, and what the run
// did with it. Its JSON is one entry of the report.
type replayItem struct {
	ExecutionArn        string     `json:"executionArn"`
	Name                string     `json:"name"`
	Status              string     `json:"status"`
	StartDate           time.Time  `json:"startDate"`
	StopDate            *time.Time `json:"stopDate,omitempty"`
	State               string     `json:"state,omitempty"`
	Error               string     `json:"error,omitempty"`
	Cause               string     `json:"cause,omitempty"`
	RedriveCount        int32      `json:"redriveCount"`
	RedriveStatus       string     `json:"redriveStatus,omitempty"`
	RedriveStatusReason string     `json:"redriveStatusReason,omitempty"`
	// Key is the uploaded object the execution was for, read from its input.
	Key string `json:"key,omitempty"`

	// Action is redrive, start or skip; Reason says why.
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
	// Skipped is the summary's key for a skipped execution.
	Skipped string `json:"skipped,omitempty"`
	// Done reports whether the action was carried out (never in a dry run).
	Done bool `json:"done"`
	// ReplayArn is the execution a start created, or would create.
	ReplayArn string `json:"replayArn,omitempty"`
	// Failure is why the execution could not be read or replayed.
	Failure string `json:"failure,omitempty"`
	// Ended is, with --wait, how the replay ended: SUCCEEDED, FAILED,
	// TIMED_OUT or ABORTED, or RUNNING when the wait was over first; EndError
	// and EndCause are its error and cause.
	Ended    string `json:"ended,omitempty"`
	EndError string `json:"endError,omitempty"`
	EndCause string `json:"endCause,omitempty"`

	input *string
}

// replayReport is what a run prints with --output json.
type replayReport struct {
	StateMachineArn string        `json:"stateMachineArn"`
	DryRun          bool          `json:"dryRun"`
	Mode            string        `json:"mode"`
	Since           *time.Time    `json:"since,omitempty"`
	Until           *time.Time    `json:"until,omitempty"`
	Statuses        []string      `json:"statuses"`
	Executions      []*replayItem `json:"executions"`
	Summary         replaySummary `json:"summary"`
}

// replaySummary counts the outcomes; in a dry run, Redriven and Restarted
// count what would be done.
type replaySummary struct {
	Listed    int            `json:"listed"`
	Replayed  int            `json:"replayed"`
	Redriven  int            `json:"redriven"`
	Restarted int            `json:"restarted"`
	Skipped   int            `json:"skipped"`
	SkipWhy   map[string]int `json:"skippedBecause"`
	Failed    int            `json:"failed"`
	// With --wait: how the replays ended.
	Succeeded    int `json:"succeeded,omitempty"`
	FailedAgain  int `json:"failedAgain,omitempty"`
	StillRunning int `json:"stillRunning,omitempty"`
}

func (r *replayer) run(ctx context.Context) (*replayReport, error) {
	o := r.opts
	report := &replayReport{StateMachineArn: o.stateMachineArn, DryRun: !o.execute,
		Mode: o.mode, Executions: []*replayItem{},
		Summary: replaySummary{SkipWhy: map[string]int{}}}
	for _, s := range o.statuses {
		report.Statuses = append(report.Statuses, string(s))
	}
	if !o.since.IsZero() {
		report.Since = &o.since
	}
	if !o.until.IsZero() {
		report.Until = &o.until
	}

	sm, err := r.client.DescribeStateMachine(ctx,
		&sfn.DescribeStateMachineInput{StateMachineArn: aws.String(o.stateMachineArn)})
	if err != nil {
		return report, err
	}
	r.revisionID = aws.ToString(sm.RevisionId)
	listed, err := r.list(ctx)
	if err != nil {
		return report, err
	}
	r.printHeader(len(listed))

	for _, e := range listed {
		if ctx.Err() != nil {
			return report, ctx.Err()
		}
		it := r.replay(ctx, e)
		report.Executions = append(report.Executions, it)
		report.Summary.add(it)
		r.printItem(it)
	}
	if o.wait > 0 {
		return report, r.await(ctx, report)
	}
	return report, nil
}

// list returns the executions of the window in the statuses asked for,
// oldest first. ListExecutions returns the newest first, so each status's
// listing stops at the first execution older than --since.
func (r *replayer) list(ctx context.Context) ([]types.ExecutionListItem, error) {
	o := r.opts
	var all []types.ExecutionListItem
	for _, status := range o.statuses {
		pages := sfn.NewListExecutionsPaginator(r.client, &sfn.ListExecutionsInput{
			StateMachineArn: aws.String(o.stateMachineArn), StatusFilter: status,
			RedriveFilter: o.redriveFilter, MaxResults: 100})
	status:
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, e := range page.Executions {
				start := aws.ToTime(e.StartDate)
				if !o.since.IsZero() && start.Before(o.since) {
					break status
				}
				if o.until.IsZero() || !start.After(o.until) {
					all = append(all, e)
				}
			}
		}
	}
	slices.SortStableFunc(all, func(a, b types.ExecutionListItem) int {
		if c := aws.ToTime(a.StartDate).Compare(aws.ToTime(b.StartDate)); c != 0 {
			return c
		}
		return strings.Compare(aws.ToString(a.Name), aws.ToString(b.Name))
	})
	return all, nil
}

// replay describes one execution, decides what to do with it and, unless in
// a dry run, does it.
func (r *replayer) replay(ctx context.Context, e types.ExecutionListItem) *replayItem {
	it := &replayItem{ExecutionArn: aws.ToString(e.ExecutionArn), Name: aws.ToString(e.Name),
		Status: string(e.Status), StartDate: aws.ToTime(e.StartDate), StopDate: e.StopDate,
		RedriveCount: aws.ToInt32(e.RedriveCount)}
	if err := r.describe(ctx, it); err != nil {
		it.fail(err)
		return it
	}
	if err := r.decide(ctx, it); err != nil {
		it.fail(err)
		return it
	}
	if it.Action == actionSkip || !r.opts.execute {
		return it
	}

	if err := r.bucket.wait(ctx); err != nil {
		it.fail(err)
		return it
	}
	switch it.Action {
	case actionRedrive:
		_, err := r.client.RedriveExecution(ctx,
			&sfn.RedriveExecutionInput{ExecutionArn: aws.String(it.ExecutionArn)})
		if err != nil {
			it.fail(err)
			return it
		}
	case actionStart:
		_, err := r.client.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: aws.String(r.opts.stateMachineArn),
			Name:            aws.String(executionName(it.ReplayArn)), Input: it.input})
		var exists *types.ExecutionAlreadyExists
		if errors.As(err, &exists) {
			// Another run started it since decide looked.
			it.skip(skipAlreadyReplayed, "already replayed as "+executionName(it.ReplayArn))
			return it
		}
		if err != nil {
			it.fail(err)
			return it
		}
	}
	it.Done = true
	return it
}

// describe fills in the execution's error, cause, input and redrive status,
// and the state it failed in from the end of its history.
func (r *replayer) describe(ctx context.Context, it *replayItem) error {
	d, err := r.client.DescribeExecution(ctx,
		&sfn.DescribeExecutionInput{ExecutionArn: aws.String(it.ExecutionArn)})
	if err != nil {
		return err
	}
	it.Error, it.Cause = aws.ToString(d.Error), aws.ToString(d.Cause)
	it.RedriveStatus = string(d.RedriveStatus)
	it.RedriveStatusReason = aws.ToString(d.RedriveStatusReason)
	it.RedriveCount = aws.ToInt32(d.RedriveCount)
	if d.InputDetails == nil || d.InputDetails.Included {
		it.input = d.Input
	}
	if obj, err := s3event.Decode(json.RawMessage(aws.ToString(d.Input))); err == nil {
		it.Key = obj.Key
	}

	// Newest first, without inputs and outputs: the failure is among the
	// last events, and the state it happened in is the last one entered
	// before it.
	pages := sfn.NewGetExecutionHistoryPaginator(r.client, &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(it.ExecutionArn), ReverseOrder: true,
		IncludeExecutionData: aws.Bool(false), MaxResults: 25})
	failed := false
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, ev := range page.Events {
			if !failed {
				failed = failureDetails(ev, it)
				continue
			}
			if name := enteredState(ev); name != "" {
				it.State = name
				return nil
			}
		}
	}
	return nil
}

// failureDetails reports whether ev ends the execution unsuccessfully and
// takes its error and cause when the description had none.
func failureDetails(ev types.HistoryEvent, it *replayItem) bool {
	var errName, cause *string
	switch {
	case ev.ExecutionFailedEventDetails != nil:
		errName = ev.ExecutionFailedEventDetails.Error
		cause = ev.ExecutionFailedEventDetails.Cause
	case ev.ExecutionTimedOutEventDetails != nil:
		errName = ev.ExecutionTimedOutEventDetails.Error
		cause = ev.ExecutionTimedOutEventDetails.Cause
	case ev.ExecutionAbortedEventDetails != nil:
		errName = ev.ExecutionAbortedEventDetails.Error
		cause = ev.ExecutionAbortedEventDetails.Cause
	case ev.Type == types.HistoryEventTypeExecutionFailed,
		ev.Type == types.HistoryEventTypeExecutionTimedOut,
		ev.Type == types.HistoryEventTypeExecutionAborted:
	default:
		return false
	}
	if it.Error == "" {
		it.Error = aws.ToString(errName)
	}
	if it.Cause == "" {
		it.Cause = aws.ToString(cause)
	}
	return true
}

// enteredState returns the state a *StateEntered event enters, or "".
func enteredState(ev types.HistoryEvent) string {
	if !strings.HasSuffix(string(ev.Type), "StateEntered") || ev.StateEnteredEventDetails == nil {
		return ""
	}
	return aws.ToString(ev.StateEnteredEventDetails.Name)
}

// decide sets the action for an execution that describe has filled in.
func (r *replayer) decide(ctx context.Context, it *replayItem) error {
	o := r.opts
	rejected := it.Error == steperr.NameImageRejected
	switch {
	case rejected && !o.includeRejected:
		it.skip(skipRejected, "the upload was rejected: a replay would be rejected again "+
			"(--include-rejected to replay it)")
		return nil
	case len(o.errorNames) > 0 && !slices.Contains(o.errorNames, it.Error):
		it.skip(skipErrorFilter, fmt.Sprintf("error %q is not one of --error %s",
			it.Error, strings.Join(o.errorNames, ",")))
		return nil
	}

	// A new execution under the deterministic name means this one has been
	// replayed already, whatever the mode: never replay it twice.
	replayArn := replayExecutionArn(it.ExecutionArn, it.Name)
	prev, err := r.client.DescribeExecution(ctx,
		&sfn.DescribeExecutionInput{ExecutionArn: aws.String(replayArn)})
	var missing *types.ExecutionDoesNotExist
	switch {
	case err == nil:
		it.skip(skipAlreadyReplayed, fmt.Sprintf("already replayed as %s (%s)",
			aws.ToString(prev.Name), prev.Status))
		return nil
	case !errors.As(err, &missing):
		return err
	}

	redrivable := it.RedriveStatus == string(types.ExecutionRedriveStatusRedrivable)
	notRedrivable := "not redrivable: " + it.RedriveStatusReason
	switch o.mode {
	case modeRedrive:
		if !redrivable {
			it.skip(skipNotRedrivable, notRedrivable+" (--mode auto or new starts it anew)")
			return nil
		}
		it.Action, it.Reason = actionRedrive, "redrivable"
	case modeNew:
		it.Action, it.Reason = actionStart, "--mode new"
	default:
		switch {
		case rejected:
			it.Action, it.Reason = actionStart, "a redrive would end in the same Fail state"
		case !redrivable:
			it.Action, it.Reason = actionStart, notRedrivable
		default:
			changed, err := r.definitionChanged(ctx, it.ExecutionArn)
			if err != nil {
				return err
			}
			if changed {
				it.Action, it.Reason = actionStart, "the definition changed since it started: "+
					"a redrive would run the old one"
			} else {
				it.Action, it.Reason = actionRedrive, "redrivable"
			}
		}
	}
	if it.Action == actionStart {
		if it.input == nil {
			it.skip(skipNotRestartable, "its input is not available to start it anew")
			return nil
		}
		it.ReplayArn = replayArn
	}
	if o.max > 0 && r.actions >= o.max {
		it.ReplayArn = ""
		it.skip(skipMax, fmt.Sprintf("--max %d replays reached", o.max))
		return nil
	}
	r.actions++
	return nil
}

// definitionChanged reports whether the state machine's definition is not the
// one the execution started with: a redrive keeps running the old one.
func (r *replayer) definitionChanged(ctx context.Context, executionArn string) (bool, error) {
	ran, err := r.client.DescribeStateMachineForExecution(ctx,
		&sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(executionArn)})
	if err != nil {
		return false, err
	}
	return aws.ToString(ran.RevisionId) != r.revisionID, nil
}

func (it *replayItem) skip(why, reason string) {
	it.Action, it.Skipped, it.Reason = actionSkip, why, reason
}

func (it *replayItem) fail(err error) {
	it.Done = false
	it.Failure = err.Error()
}

func (s *replaySummary) add(it *replayItem) {
	s.Listed++
	switch {
	case it.Failure != "":
		s.Failed++
	case it.Action == actionSkip:
		s.Skipped++
		s.SkipWhy[it.Skipped]++
	case it.Action == actionRedrive:
		s.Replayed++
		s.Redriven++
	case it.Action == actionStart:
		s.Replayed++
		s.Restarted++
	}
}

// replaySuffix matches the suffix of a replay's name and captures its number.
var replaySuffix = regexp.MustCompile(`-replay-([0-9]+)$`)

// replayName returns the name of the new execution that replays the
// execution name: <name>-replay-1, and for a replay <name>-replay-<n+1>,
// shortened to fit the 80 characters of an execution name. The same name
// always gives the same replay name, which is what makes a second run find
// the replay instead of starting another.
func replayName(name string) string {
	base, n := name, 1
	if m := replaySuffix.FindStringSubmatchIndex(name); m != nil {
		prev, err := strconv.Atoi(name[m[2]:m[3]])
		if err == nil {
			base, n = name[:m[0]], prev+1
		}
	}
	suffix := "-replay-" + strconv.Itoa(n)
	if len(base)+len(suffix) > maxNameLength {
		base = base[:maxNameLength-len(suffix)]
	}
	return base + suffix
}

// replayExecutionArn is the ARN of the execution that replays executionArn.
func replayExecutionArn(executionArn, name string) string {
	return strings.TrimSuffix(executionArn, name) + replayName(name)
}

// executionName is the last part of an execution ARN.
func executionName(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// tokenBucket paces the replays: rate tokens a second, at most a second's
// worth saved up.
type tokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64) *tokenBucket {
	burst := max(1, rate)
	return &tokenBucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

// wait takes a token, waiting until there is one or ctx ends.
func (b *tokenBucket) wait(ctx context.Context) error {
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		delay := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		b.tokens, b.last = 1, time.Now()
	}
	b.tokens--
	return nil
}
