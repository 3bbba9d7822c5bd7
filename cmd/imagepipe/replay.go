package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/steperr"
)

func init() { subcommands["replay"] = runReplay }

// Replay modes.
const (
	modeAuto    = "auto"
	modeRedrive = "redrive"
	modeNew     = "new"
)

// Actions taken on an execution.
const (
	actionRedrive = "redrive"
	actionStart   = "start"
	actionSkip    = "skip"
)

// Why an execution is skipped: the keys of the summary's skipped counts.
const (
	skipRejected        = "rejected"
	skipErrorFilter     = "error filter"
	skipAlreadyReplayed = "already replayed"
	skipNotRedrivable   = "not redrivable"
	skipNotRestartable  = "not restartable"
	skipMax             = "over --max"
)

// replayStatuses are the statuses an execution can be replayed from.
var replayStatuses = []types.ExecutionStatus{types.ExecutionStatusFailed,
	types.ExecutionStatusTimedOut, types.ExecutionStatusAborted}

// maxNameLength is the longest execution name StartExecution accepts.
const maxNameLength = 80

// replayOptions are the parsed flags of the replay subcommand.
type replayOptions struct {
	stateMachineArn string
	since, until    time.Time // zero: no bound
	statuses        []types.ExecutionStatus
	errorNames      []string
	includeRejected bool
	execute         bool
	mode            string
	rate            float64
	max             int
	output          string
	redriveFilter   types.ExecutionRedriveFilter
	wait            time.Duration // 0: do not wait for the replays to end
}

// runReplay lists a state machine's failed executions in a time window,
// shows where and why each failed, and with --execute redrives them or
// starts them anew with the same input.
func runReplay(args []string, stdout, stderr io.Writer) int {
	opts, err := parseReplayFlags(args, stderr, time.Now())
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := awsconfig.Load(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "imagepipe replay:", err)
		return 1
	}
	r := &replayer{client: sfn.NewFromConfig(cfg), opts: opts, stdout: stdout,
		bucket: newTokenBucket(opts.rate)}
	report, err := r.run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "imagepipe replay:", err)
	}
	if opts.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(report)
	} else {
		fmt.Fprintln(stdout, report.Summary.text(opts.execute))
	}
	sum := report.Summary
	if err != nil || sum.Failed > 0 || sum.FailedAgain > 0 || sum.StillRunning > 0 {
		return 1
	}
	return 0
}

const replayUsage = `usage: imagepipe replay --state-machine-arn ARN [flags]

Lists the state machine's FAILED, TIMED_OUT and ABORTED executions started in
a time window, with the state each failed in, its error and cause, and what
replaying it would do. Nothing changes without --execute.

With --execute each execution is replayed once:
  redrive   RedriveExecution: resumes at the state that failed, keeping the
            results of the states that succeeded (within 14 days of the
            failure, with the definition the execution started with)
  new       StartExecution with the same input, named <name>-replay-<n>, so
            that running the command again never starts a second one
  auto      redrive when the execution is redrivable and the definition has
            not changed since it started, else start it anew (default)
ImageRejected executions are skipped unless --include-rejected: the upload
will never be an image, and a redrive would end in the same Fail state (auto
starts them anew, for when a limit has been raised).

With --wait the command then follows the replays until each has ended, or
the time is up, and reports how each ended.

The AWS configuration comes from the environment (AWS_REGION, AWS_PROFILE,
credentials); AWS_ENDPOINT_URL_SFN points it at a local Step Functions.
The exit code is 1 when any replay could not be made or, with --wait, did
not succeed in time; 2 for a usage error.

flags:
`

func parseReplayFlags(args []string, stderr io.Writer, now time.Time) (replayOptions, error) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := replayOptions{}
	statuses := listFlag{values: []string{"FAILED", "TIMED_OUT", "ABORTED"}}
	var errorNames listFlag
	fs.StringVar(&opts.stateMachineArn, "state-machine-arn", "",
		"the `ARN` of the state machine whose executions are replayed (required)")
	since := fs.String("since", "24h",
		"replay executions started at or after `time`: a duration before now (24h, 90m, "+
			"14d) or an RFC 3339 time")
	until := fs.String("until", "",
		"replay executions started at or before `time`: a duration before now or an RFC "+
			"3339 time; empty is now")
	fs.Var(&statuses, "status", "the execution `statuses` to replay, comma-separated: "+
		"FAILED, TIMED_OUT, ABORTED")
	fs.Var(&errorNames, "error", "replay only executions that failed with this error "+
		"`name` (repeatable or comma-separated), e.g. DependencyUnavailable")
	fs.BoolVar(&opts.includeRejected, "include-rejected", false,
		"also replay executions that failed with "+steperr.NameImageRejected)
	fs.BoolVar(&opts.execute, "execute", false,
		"replay the executions; without it, only list what would be done")
	fs.StringVar(&opts.mode, "mode", modeAuto, "how to replay: auto, redrive or new")
	fs.Float64Var(&opts.rate, "rate", 2, "replays (redrives and starts) per second")
	fs.IntVar(&opts.max, "max", 0, "replay at most this many executions; 0 is no limit")
	fs.StringVar(&opts.output, "output", "text", "`format`: text, or json for one JSON report")
	fs.DurationVar(&opts.wait, "wait", 0, "with --execute, wait up to this long for the "+
		"replays to end and report how each ended (polling at --rate); 0 does not wait")
	redrive := fs.String("redrive-filter", "", "list only executions that were "+
		"(REDRIVEN) or were not (NOT_REDRIVEN) redriven before; empty lists both")
	fs.Usage = func() {
		fmt.Fprint(stderr, replayUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return opts, err
	}

	var problems []string
	if opts.stateMachineArn == "" {
		problems = append(problems, "--state-machine-arn is required")
	}
	if fs.NArg() > 0 {
		problems = append(problems, "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	var err error
	if opts.since, err = parseTimeBound(*since, now); err != nil {
		problems = append(problems, "--since: "+err.Error())
	}
	if opts.until, err = parseTimeBound(*until, now); err != nil {
		problems = append(problems, "--until: "+err.Error())
	}
	if !opts.since.IsZero() && !opts.until.IsZero() && opts.until.Before(opts.since) {
		problems = append(problems, "--until is before --since")
	}
	for _, s := range statuses.values {
		status := types.ExecutionStatus(strings.ToUpper(s))
		if !slices.Contains(replayStatuses, status) {
			problems = append(problems, fmt.Sprintf("--status %s: not one of %v", s,
				replayStatuses))
		}
		if !slices.Contains(opts.statuses, status) {
			opts.statuses = append(opts.statuses, status)
		}
	}
	opts.errorNames = errorNames.values
	if !slices.Contains([]string{modeAuto, modeRedrive, modeNew}, opts.mode) {
		problems = append(problems, "--mode "+opts.mode+": not auto, redrive or new")
	}
	if opts.rate <= 0 {
		problems = append(problems, "--rate must be above 0")
	}
	if opts.max < 0 {
		problems = append(problems, "--max must not be negative")
	}
	if opts.wait < 0 {
		problems = append(problems, "--wait must not be negative")
	}
	if opts.wait > 0 && !opts.execute {
		problems = append(problems, "--wait needs --execute: a dry run starts nothing")
	}
	if opts.output != "text" && opts.output != "json" {
		problems = append(problems, "--output "+opts.output+": not text or json")
	}
	opts.redriveFilter = types.ExecutionRedriveFilter(strings.ToUpper(*redrive))
	switch opts.redriveFilter {
	case "", types.ExecutionRedriveFilterRedriven, types.ExecutionRedriveFilterNotRedriven:
	default:
		problems = append(problems, "--redrive-filter "+*redrive+
			": not REDRIVEN or NOT_REDRIVEN")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "imagepipe replay:", p)
		}
		fmt.Fprintln(stderr, `Run "imagepipe replay -help" for the flags.`)
		return opts, errors.New(problems[0])
	}
	return opts, nil
}

// listFlag is a flag that may be repeated and whose values may be
// comma-separated; the first use replaces the default.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *listFlag) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			l.values = append(l.values, part)
		}
	}
	return nil
}

// parseTimeBound reads --since or --until: empty is no bound, a duration
// (with d for days) is that long before now, anything else is RFC 3339.
func parseTimeBound(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.ParseFloat(days, 64); err == nil && n >= 0 {
			return now.Add(-time.Duration(n * 24 * float64(time.Hour))), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%s: the duration must not be negative", v)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: neither a duration (24h, 14d) nor an RFC 3339 "+
			"time (2026-01-02T15:04:05Z)", v)
	}
	return t, nil
}
