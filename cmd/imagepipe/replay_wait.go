package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// The pause between two looks at the replays still running: short at
// first, for replays that end in seconds, then up to maxWaitPause.
const (
	firstWaitPause = 200 * time.Millisecond
	maxWaitPause   = 5 * time.Second
)

// await follows the replays this run made until each has ended or --wait is
// over, and records how each ended. DescribeExecution calls share --rate
// with the replays.
func (r *replayer) await(ctx context.Context, report *replayReport) error {
	var pending []*replayItem
	for _, it := range report.Executions {
		if it.Done {
			pending = append(pending, it)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	if r.opts.output == "text" {
		fmt.Fprintf(r.stdout, "waiting up to %s for %d replays to end\n\n", r.opts.wait,
			len(pending))
	}
	deadline := time.Now().Add(r.opts.wait)
	pause := firstWaitPause
	for {
		var running []*replayItem
		for _, it := range pending {
			if err := r.bucket.wait(ctx); err != nil {
				return err
			}
			ended, err := r.ended(ctx, it)
			if err != nil {
				return err
			}
			if !ended {
				running = append(running, it)
				continue
			}
			report.Summary.end(it)
			r.printEnd(it)
		}
		pending = running
		left := time.Until(deadline)
		if len(pending) == 0 || left <= 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(pause, left)):
		}
		pause = min(2*pause, maxWaitPause)
	}
	for _, it := range pending {
		it.Ended = string(types.ExecutionStatusRunning)
		report.Summary.end(it)
		r.printEnd(it)
	}
	return nil
}

// ended reports whether the replay of it has ended, and if so records how.
// A redriven execution has ended once it has run again (its redrive count
// has grown) and is no longer running; a started one once it is no longer
// running.
func (r *replayer) ended(ctx context.Context, it *replayItem) (bool, error) {
	arn := it.ReplayArn
	if it.Action == actionRedrive {
		arn = it.ExecutionArn
	}
	d, err := r.client.DescribeExecution(ctx,
		&sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return false, fmt.Errorf("following %s: %w", executionName(arn), err)
	}
	if d.Status == types.ExecutionStatusRunning || d.Status == types.ExecutionStatusPendingRedrive ||
		it.Action == actionRedrive && aws.ToInt32(d.RedriveCount) <= it.RedriveCount {
		return false, nil
	}
	it.Ended, it.EndError, it.EndCause = string(d.Status), aws.ToString(d.Error),
		aws.ToString(d.Cause)
	return true, nil
}

func (s *replaySummary) end(it *replayItem) {
	switch it.Ended {
	case string(types.ExecutionStatusSucceeded):
		s.Succeeded++
	case string(types.ExecutionStatusRunning):
		s.StillRunning++
	default:
		s.FailedAgain++
	}
}

// printEnd shows how one replay ended, in text output.
func (r *replayer) printEnd(it *replayItem) {
	if r.opts.output != "text" {
		return
	}
	name := it.Name
	if it.Action == actionStart {
		name = executionName(it.ReplayArn)
	}
	switch it.Ended {
	case string(types.ExecutionStatusSucceeded):
		fmt.Fprintf(r.stdout, "%s  ended SUCCEEDED\n", name)
	case string(types.ExecutionStatusRunning):
		fmt.Fprintf(r.stdout, "%s  still RUNNING after %s\n", name, r.opts.wait)
	default:
		fmt.Fprintf(r.stdout, "%s  ended %s: %s\n", name, it.Ended, orNone(it.EndError))
		if it.EndCause != "" {
			fmt.Fprintf(r.stdout, "    cause: %s\n", clip(it.EndCause, maxCauseText))
		}
	}
}
