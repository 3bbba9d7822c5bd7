package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/imagepipe/imagepipe/shared/localstack"
	"github.com/imagepipe/imagepipe/shared/localstack/faults"
	"github.com/imagepipe/imagepipe/shared/localstack/pipeline"
	"github.com/imagepipe/imagepipe/shared/localstack/sfnapi"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/statemachine"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// replaySamples are the images uploaded while S3 refuses writes; each execution
// fails at Resize once its retries are spent.
var replaySamples = []string{"photo.jpg", "dune.png", "wood.gif"}

const replaySamplesDir = "../../shared/localstack/pipeline/testdata/"

// replayEnv is the local pipeline with the Step Functions API in front of
// its engine, after uploads that failed: one execution per sample that
// failed at Resize with DependencyUnavailable, and one rejected upload.
type replayEnv struct {
	ctx context.Context
	p   *pipeline.Pipeline
	api *sfnapi.Server
	// names maps each upload (a sample's file name, or "rejected") to its
	// execution's name, and ids to its imageId.
	names, ids map[string]string
	// hold, while set, keeps every Persist waiting until it is closed.
	hold atomic.Pointer[chan struct{}]
}

// newReplayEnv builds a replayEnv; refuse, when set, names an operation that
// the API refuses with ExecutionLimitExceeded.
func newReplayEnv(t *testing.T, refuse string) *replayEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := &replayEnv{ctx: ctx, names: map[string]string{}, ids: map[string]string{}}
	p, err := pipeline.Start(ctx, t, pipeline.Options{
		Stack:  localstack.Options{InjectFaults: true, MaxAttempts: 2},
		Logger: slog.New(slog.NewJSONHandler(t.Output(), nil)),
		WrapTask: func(function string, h engine.Handler) engine.Handler {
			if function != "persist" {
				return h
			}
			return func(c context.Context, in json.RawMessage) (json.RawMessage, error) {
				if hold := e.hold.Load(); hold != nil {
					select {
					case <-*hold:
					case <-c.Done():
						return nil, c.Err()
					}
				}
				return h(c, in)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	e.p, e.api = p, sfnapi.New(p.Machine)
	var h http.Handler = e.api
	if refuse != "" {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Amz-Target") == sfnapi.TargetPrefix+refuse {
				w.Header().Set("Content-Type", sfnapi.ContentType)
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"__type":"%sExecutionLimitExceeded","message":"too many"}`,
					sfnapi.ErrorNamespace)
				return
			}
			e.api.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_SFN", srv.URL)

	p.Stack.Faults.S3.FailUntilCleared("PutObject", faults.Fault{Kind: faults.Unavailable})
	uploads := map[string][]byte{"rejected": []byte("this is not an image")}
	for _, name := range replaySamples {
		data, err := os.ReadFile(replaySamplesDir + name)
		if err != nil {
			t.Fatal(err)
		}
		uploads[name] = data
	}
	for name, data := range uploads {
		e.ids[name] = uuid.NewString()
		e.upload(t, objectkey.OriginalKey("user-1", e.ids[name], "jpg"), data)
	}
	for _, d := range e.idle(t) {
		for name, id := range e.ids {
			if strings.Contains(string(d.Input), id) {
				e.names[name] = d.Name
			}
		}
	}
	if len(e.names) != len(uploads) {
		t.Fatalf("executions %v for uploads %v", e.names, e.ids)
	}
	return e
}

// upload puts an object as a user's presigned PUT would, past the fault
// proxy that stands in front of the Lambdas' S3.
func (e *replayEnv) upload(t *testing.T, key string, data []byte) {
	t.Helper()
	user := s3.New(s3.Options{
		Region: e.p.Stack.Region, BaseEndpoint: aws.String(e.p.Stack.Emulators.S3),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("user", "secret", ""),
	})
	_, err := user.PutObject(e.ctx, &s3.PutObjectInput{
		Bucket: aws.String(e.p.Stack.OriginalsBucket), Key: aws.String(key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *replayEnv) idle(t *testing.T) []engine.Description {
	t.Helper()
	if err := e.p.WaitIdle(e.ctx); err != nil {
		t.Fatal(err)
	}
	execs, err := e.p.Executions()
	if err != nil {
		t.Fatal(err)
	}
	return execs
}

// replay runs the command with --output json and returns its report and
// exit code.
func (e *replayEnv) replay(t *testing.T, args ...string) (replayReport, int) {
	t.Helper()
	out, code := e.replayText(t, append(args, "--output", "json")...)
	var report replayReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	return report, code
}

// replayText runs the command against the local state machine as fast as
// it goes and returns what it printed.
func (e *replayEnv) replayText(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"--state-machine-arn", e.p.Machine.ARN(), "--rate", "1000"},
		args...)
	code := runReplay(args, &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Logf("stderr: %s", stderr.String())
	}
	return stdout.String(), code
}

// seen says what the report shows an operator of each upload's execution:
// where it failed, with what, and what was done, keyed by upload.
func (e *replayEnv) seen(report replayReport) map[string]string {
	byName := map[string]string{}
	for upload, name := range e.names {
		byName[name] = upload
	}
	out := map[string]string{}
	for _, it := range report.Executions {
		upload, ok := byName[it.Name]
		if !ok {
			upload = it.Name // a replay started by an earlier run
		}
		what := it.Action
		switch {
		case it.Failure != "":
			what += " failed"
		case it.Action == actionSkip:
			what += ": " + it.Skipped
		case !it.Done:
			what += " (dry run)"
		}
		out[upload] = fmt.Sprintf("%s %s, %s", it.State, it.Error, what)
	}
	return out
}

// snapshot is what a dry run must leave as it was: executions, items and
// topic messages.
func (e *replayEnv) snapshot(t *testing.T) string {
	t.Helper()
	var lines []string
	for _, d := range e.idle(t) {
		lines = append(lines, fmt.Sprintf("execution %s %s %d", d.Name, d.Status,
			d.RedriveCount))
	}
	for upload, id := range e.ids {
		it, _, err := e.p.Store.Get(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("item %s %s %d %s", upload, it.Status, it.Attempts,
			it.ExecutionArn))
	}
	msgs, err := e.p.Stack.TopicMessages(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	lines = append(lines, fmt.Sprintf("%d messages", len(msgs)))
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// each returns want for every sample and rejected for the rejected upload.
func replayEach(want, rejected string) map[string]string {
	m := map[string]string{}
	for _, s := range replaySamples {
		m[s] = want
	}
	if rejected != "" {
		m["rejected"] = rejected
	}
	return m
}

const (
	atResize   = "Resize DependencyUnavailable, "
	atRejected = "Rejected ImageRejected, "
)

// The story of an outage: S3 refuses writes, every image fails at Resize;
// the operator looks (dry runs change nothing), the fault clears, one run
// redrives them all to DONE, and the next finds nothing left to do.
func TestReplayRedrivesFailedExecutions(t *testing.T) {
	e := newReplayEnv(t, "")
	steps := []struct {
		name   string
		before func()
		args   []string
		code   int
		want   map[string]string // upload → what the operator sees
		sum    replaySummary
		dryRun bool
	}{
		{"a dry run lists each failure and changes nothing", nil, nil, 0,
			replayEach(atResize+"redrive (dry run)", atRejected+"skip: rejected"),
			replaySummary{Listed: 4, Replayed: 3, Redriven: 3, Skipped: 1,
				SkipWhy: map[string]int{skipRejected: 1}}, true},
		{"rejected uploads are listed for a new execution when asked for", nil,
			[]string{"--include-rejected"}, 0,
			replayEach(atResize+"redrive (dry run)", atRejected+"start (dry run)"),
			replaySummary{Listed: 4, Replayed: 4, Redriven: 3, Restarted: 1,
				SkipWhy: map[string]int{}}, true},
		{"an error filter", nil,
			[]string{"--error", "Lambda.Unknown,States.Timeout", "--error", "ImageRejected",
				"--include-rejected"}, 0,
			replayEach(atResize+"skip: error filter", atRejected+"start (dry run)"),
			replaySummary{Listed: 4, Replayed: 1, Restarted: 1, Skipped: 3,
				SkipWhy: map[string]int{skipErrorFilter: 3}}, true},
		{"--max caps the replays", nil, []string{"--max", "2"}, 0, nil,
			replaySummary{Listed: 4, Replayed: 2, Redriven: 2, Skipped: 2,
				SkipWhy: map[string]int{skipRejected: 1, skipMax: 1}}, true},
		{"a window before the uploads lists nothing", nil,
			[]string{"--since", "48h", "--until", "24h"}, 0, map[string]string{},
			replaySummary{SkipWhy: map[string]int{}}, true},
		{"once S3 is back, --execute redrives each", e.p.Stack.Faults.Clear,
			[]string{"--execute"}, 0,
			replayEach(atResize+"redrive", atRejected+"skip: rejected"),
			replaySummary{Listed: 4, Replayed: 3, Redriven: 3, Skipped: 1,
				SkipWhy: map[string]int{skipRejected: 1}}, false},
		{"a second run finds nothing left to do", nil, []string{"--execute"}, 0,
			map[string]string{"rejected": atRejected + "skip: rejected"},
			replaySummary{Listed: 1, Skipped: 1, SkipWhy: map[string]int{skipRejected: 1}},
			false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.before != nil {
				s.before()
			}
			before := e.snapshot(t)
			report, code := e.replay(t, s.args...)
			if code != s.code {
				t.Errorf("exit code %d, want %d", code, s.code)
			}
			if s.want != nil {
				if got := e.seen(report); !maps.Equal(got, s.want) {
					t.Errorf("the report shows\n%v\nwant\n%v", got, s.want)
				}
			}
			if !replaySummaryEqual(report.Summary, s.sum) {
				t.Errorf("summary %+v, want %+v", report.Summary, s.sum)
			}
			if report.DryRun != s.dryRun {
				t.Errorf("dryRun %v", report.DryRun)
			}
			if s.dryRun {
				if after := e.snapshot(t); after != before {
					t.Errorf("a dry run changed\n%s\ninto\n%s", before, after)
				}
			}
		})
	}

	// What the redrive left: each image DONE by its own execution, which
	// SUCCEEDED after one redrive; the rejected upload as it was.
	execs := map[string]engine.Description{}
	for _, d := range e.idle(t) {
		execs[d.Name] = d
	}
	for _, upload := range append(slices.Clone(replaySamples), "rejected") {
		d := execs[e.names[upload]]
		it, _, err := e.p.Store.Get(e.ctx, e.ids[upload])
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%s redriven %d, item %s", d.Status, d.RedriveCount, it.Status)
		want := "SUCCEEDED redriven 1, item DONE"
		if upload == "rejected" {
			want = "FAILED redriven 0, item FAILED"
		}
		if got != want || it.ExecutionArn != d.ExecutionArn {
			t.Errorf("%s: %s by %s, want %s by its execution", upload, got, it.ExecutionArn,
				want)
		}
	}
	if len(execs) != len(replaySamples)+1 {
		t.Errorf("%d executions, want one per upload", len(execs))
	}
}

// The text output names each failed execution with the state, error and
// cause, what would be done, and a summary.
func TestReplayTextOutput(t *testing.T) {
	e := newReplayEnv(t, "")
	out, code := e.replayText(t)
	if code != 0 {
		t.Errorf("exit code %d", code)
	}
	lines := strings.Split(out, "\n")
	wants := []string{
		"4 FAILED/TIMED_OUT/ABORTED executions of " + e.p.Machine.ARN() + " started since ",
		"dry run: would replay 3 (redriven 3, restarted 0); skipped 1 (rejected 1); " +
			"failed 0; of 4 listed",
	}
	for _, s := range replaySamples {
		wants = append(wants, e.names[s]+"  FAILED at Resize: DependencyUnavailable  (started ")
	}
	wants = append(wants, e.names["rejected"]+"  FAILED at Rejected: ImageRejected")
	for _, id := range e.ids {
		wants = append(wants, "    upload: "+objectkey.OriginalKey("user-1", id, "jpg"))
	}
	for _, want := range wants {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("no line starts with %q in\n%s", want, out)
		}
	}
	for _, want := range []string{"    cause: ", "    would redrive: redrivable",
		"    skipped, the upload was rejected"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// Executions that a redrive cannot or should not resume are started anew
// with the same input, under a name that a second run recognises.
func TestReplayStartsNewExecutions(t *testing.T) {
	cases := []struct {
		name   string
		before func(e *replayEnv)
		args   []string
		reason string // of the start
	}{
		{"--mode new", nil, []string{"--mode", "new"}, "--mode new"},
		{"auto, past the 14 days of redrive", func(e *replayEnv) {
			e.api.SetClock(func() time.Time { return time.Now().Add(15 * 24 * time.Hour) })
		}, nil, "not redrivable: Execution redrivable period exceeded"},
		{"auto, once the definition changed", func(e *replayEnv) {
			arn := e.p.Machine.ARN()
			e.api.SetDefinition(arn, statemachine.Source())
			e.api.SetDefinition(arn, strings.Replace(statemachine.Source(), "Resize", "Scale", 1))
		}, nil, "the definition changed since it started: a redrive would run the old one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newReplayEnv(t, "")
			e.p.Stack.Faults.Clear()
			if c.before != nil {
				c.before(e)
			}
			report, code := e.replay(t, append(c.args, "--execute")...)
			want := replayEach(atResize+"start", atRejected+"skip: rejected")
			if code != 0 || !maps.Equal(e.seen(report), want) {
				t.Fatalf("exit code %d, the report shows\n%v\nwant\n%v", code, e.seen(report),
					want)
			}
			for _, it := range report.Executions {
				if it.Action == actionStart && (it.Reason != c.reason ||
					executionName(it.ReplayArn) != it.Name+"-replay-1") {
					t.Errorf("%s started as %s because %q, want %s-replay-1 because %q",
						it.Name, it.ReplayArn, it.Reason, it.Name, c.reason)
				}
			}
			e.idle(t)

			// Each image is DONE by its new execution; the original stays
			// FAILED, and a second run sees it was replayed.
			for _, s := range replaySamples {
				replay := strings.Replace(e.p.Machine.ARN(), ":stateMachine:", ":execution:", 1) +
					":" + e.names[s] + "-replay-1"
				d, err := e.p.Machine.Describe(replay)
				it, _, _ := e.p.Store.Get(e.ctx, e.ids[s])
				if err != nil || d.Status != engine.StatusSucceeded ||
					it.Status != stepio.StatusDone || it.ExecutionArn != replay {
					t.Errorf("%s: replay %s %v, item %s by %s", s, d.Status, err, it.Status,
						it.ExecutionArn)
				}
			}
			report, code = e.replay(t, append(c.args, "--execute")...)
			want = replayEach(atResize+"skip: already replayed", atRejected+"skip: rejected")
			if code != 0 || !maps.Equal(e.seen(report), want) || report.Summary.Replayed != 0 {
				t.Errorf("second run: exit code %d, the report shows\n%v\nwant\n%v", code,
					e.seen(report), want)
			}
		})
	}
}

// A replay the API refuses is reported and makes the exit code 1; --mode
// redrive skips what it cannot redrive instead of starting it anew.
func TestReplayFailuresAndRefusals(t *testing.T) {
	cases := []struct {
		name   string
		refuse string
		before func(e *replayEnv)
		args   []string
		code   int
		want   string
		sum    replaySummary
	}{
		{"a refused redrive", "RedriveExecution", nil, []string{"--execute"}, 1,
			atResize + "redrive failed",
			replaySummary{Listed: 4, Skipped: 1, Failed: 3,
				SkipWhy: map[string]int{skipRejected: 1}}},
		{"--mode redrive past the 14 days", "", func(e *replayEnv) {
			e.api.SetClock(func() time.Time { return time.Now().Add(15 * 24 * time.Hour) })
		}, []string{"--mode", "redrive", "--execute"}, 0,
			atResize + "skip: not redrivable",
			replaySummary{Listed: 4, Skipped: 4,
				SkipWhy: map[string]int{skipRejected: 1, skipNotRedrivable: 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newReplayEnv(t, c.refuse)
			e.p.Stack.Faults.Clear()
			if c.before != nil {
				c.before(e)
			}
			before := e.snapshot(t)
			report, code := e.replay(t, c.args...)
			want := replayEach(c.want, atRejected+"skip: rejected")
			if code != c.code || !maps.Equal(e.seen(report), want) ||
				!replaySummaryEqual(report.Summary, c.sum) {
				t.Errorf("exit code %d (want %d), the report shows\n%v\nwant\n%v\n"+
					"summary %+v, want %+v", code, c.code, e.seen(report), want,
					report.Summary, c.sum)
			}
			if after := e.snapshot(t); after != before {
				t.Errorf("nothing was replayed, yet\n%s\nbecame\n%s", before, after)
			}
		})
	}
}

// With --wait the command follows its replays to their end: how each ended
// is in the report, and the exit code is 1 unless all succeeded in time.
func TestReplayWaitsForTheOutcome(t *testing.T) {
	cases := []struct {
		name   string
		before func(e *replayEnv) (after func())
		args   []string
		ended  map[string]string // upload → how its replay ended
		sum    replaySummary
	}{
		{"each replay to its end", func(e *replayEnv) func() {
			e.p.Stack.Faults.Clear()
			return nil
		}, []string{"--wait", "1m", "--include-rejected"},
			replayEach("SUCCEEDED", "FAILED ImageRejected"),
			replaySummary{Listed: 4, Replayed: 4, Redriven: 3, Restarted: 1,
				SkipWhy: map[string]int{}, Succeeded: 3, FailedAgain: 1}},
		{"replays that fail again", nil, []string{"--wait", "1m"},
			replayEach("FAILED DependencyUnavailable", ""),
			replaySummary{Listed: 4, Replayed: 3, Redriven: 3, Skipped: 1,
				SkipWhy: map[string]int{skipRejected: 1}, FailedAgain: 3}},
		{"a wait that runs out", func(e *replayEnv) func() {
			e.p.Stack.Faults.Clear()
			hold := make(chan struct{})
			e.hold.Store(&hold)
			return func() { close(hold) }
		}, []string{"--wait", "300ms"},
			replayEach("RUNNING", ""),
			replaySummary{Listed: 4, Replayed: 3, Redriven: 3, Skipped: 1,
				SkipWhy: map[string]int{skipRejected: 1}, StillRunning: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newReplayEnv(t, "")
			var after func()
			if c.before != nil {
				after = c.before(e)
			}
			report, code := e.replay(t, append(c.args, "--execute")...)
			if after != nil {
				after()
			}
			byName := map[string]string{}
			for upload, name := range e.names {
				byName[name] = upload
			}
			ended := map[string]string{}
			for _, it := range report.Executions {
				if it.Ended != "" {
					ended[byName[it.Name]] = strings.TrimSpace(it.Ended + " " + it.EndError)
				}
			}
			if code != 1 || !maps.Equal(ended, c.ended) ||
				!replaySummaryEqual(report.Summary, c.sum) {
				t.Errorf("exit code %d, replays ended\n%v\nwant\n%v\nsummary %+v, want %+v",
					code, ended, c.ended, report.Summary, c.sum)
			}
			e.idle(t)
		})
	}

	t.Run("as text", func(t *testing.T) {
		e := newReplayEnv(t, "")
		e.p.Stack.Faults.Clear()
		out, code := e.replayText(t, "--execute", "--wait", "1m", "--include-rejected")
		want := []string{"waiting up to 1m0s for 4 replays to end",
			e.names["rejected"] + "-replay-1  ended FAILED: ImageRejected",
			"of the 4 replays followed: succeeded 3, failed again 1, still running 0"}
		for _, s := range replaySamples {
			want = append(want, e.names[s]+"  ended SUCCEEDED")
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
		if code != 1 {
			t.Errorf("exit code %d, want 1", code)
		}
	})
}

func replaySummaryEqual(a, b replaySummary) bool {
	return a.Listed == b.Listed && a.Replayed == b.Replayed && a.Redriven == b.Redriven &&
		a.Restarted == b.Restarted && a.Skipped == b.Skipped && a.Failed == b.Failed &&
		maps.Equal(a.SkipWhy, b.SkipWhy) && a.Succeeded == b.Succeeded &&
		a.FailedAgain == b.FailedAgain && a.StillRunning == b.StillRunning
}

func TestReplayFlags(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help lists the flags", []string{"-help"}, 0, "-include-rejected"},
		{"the state machine is required", nil, 2, "--state-machine-arn is required"},
		{"an unknown mode", []string{"--state-machine-arn", "x", "--mode", "sideways"}, 2,
			"--mode sideways: not auto, redrive or new"},
		{"a window that is no time", []string{"--state-machine-arn", "x", "--since",
			"yesterday"}, 2, "--since: yesterday: neither a duration"},
		{"a status that cannot be replayed", []string{"--state-machine-arn", "x",
			"--status", "FAILED,SUCCEEDED"}, 2, "--status SUCCEEDED: not one of"},
		{"a rate of zero", []string{"--state-machine-arn", "x", "--rate", "0"}, 2,
			"--rate must be above 0"},
		{"an unknown output", []string{"--state-machine-arn", "x", "--output", "yaml"}, 2,
			"--output yaml: not text or json"},
		{"a wait for a dry run", []string{"--state-machine-arn", "x", "--wait", "1m"}, 2,
			"--wait needs --execute"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runReplay(c.args, &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("exit code %d, stderr\n%s\nwant %d and %q", code, stderr.String(),
					c.code, c.stderr)
			}
		})
	}
}

func TestParseTimeBound(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"24h", now.Add(-24 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
		{"14d", now.Add(-14 * 24 * time.Hour)},
		{"2026-05-01T08:30:00Z", time.Date(2026, 5, 1, 8, 30, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		got, err := parseTimeBound(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseTimeBound(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"-1h", "soon", "2026-05-01"} {
		if _, err := parseTimeBound(bad, now); err == nil {
			t.Errorf("parseTimeBound(%q) is no error", bad)
		}
	}
}

func TestReplayName(t *testing.T) {
	long := strings.Repeat("x", 80)
	cases := []struct{ name, want string }{
		{"5f0c6c1e-8f3a-4c2e-9d0b-2a6f1f4e7c11",
			"5f0c6c1e-8f3a-4c2e-9d0b-2a6f1f4e7c11-replay-1"},
		{"upload-replay-1", "upload-replay-2"},
		{"upload-replay-9", "upload-replay-10"},
		{"replay-me", "replay-me-replay-1"},
		{long, long[:71] + "-replay-1"},
		{long[:71] + "-replay-1", long[:71] + "-replay-2"},
	}
	for _, c := range cases {
		if got := replayName(c.name); got != c.want || len(got) > maxNameLength {
			t.Errorf("replayName(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
