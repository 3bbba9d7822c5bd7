package main

import (
	"flag"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// loadUploads is how many uploads TestLoad pushes: modest by default so
// that it runs in `make test`; `make bench` runs BenchmarkLoad with 1,000.
var loadUploads = flag.Int("load.uploads", 100,
	"uploads TestLoad pushes through the local stack (the issue's full run is 1000)")

// loadConcurrency is how many clients upload at once.
const loadConcurrency = 8

// loadReport is what a load run measured.
type loadReport struct {
	uploads int
	// elapsed runs from the first upload's start to the last execution's end.
	elapsed time.Duration
	// p50 and p99 are of the time from an upload's PUT answering 200 to its
	// execution ending SUCCEEDED (its item is DONE a step before).
	p50, p99 time.Duration
	// queueP50 is the median time from the PUT's 200 to its execution's
	// start: S3 event, queue and pipe.
	queueP50 time.Duration
	// outside is the share of execution wall time spent outside the step
	// handlers: the engine, its history, the adapters.
	outside float64
}

func (r loadReport) throughput() float64 { return float64(r.uploads) / r.elapsed.Seconds() }

// runLoad pushes n uploads through a fresh in-memory stack, the way the
// page does (POST /uploads, then the presigned PUT), waits until the
// pipeline is idle, checks that every upload ended DONE, and measures.
func runLoad(t testing.TB, n int) loadReport {
	cfg := testConfig(t)
	// The handlers log as they would; the lines are formatted and dropped,
	// since thousands of them would only bury the numbers.
	cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	s := startTest(t, cfg)
	c := signIn(t, s, "load")

	images := make([][]byte, n)
	for i := range images {
		images[i] = smallJPEG(t, i)
	}
	accepted := make([]time.Time, n)
	ids := make([]string, n)
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range loadConcurrency {
		wg.Go(func() {
			for i := range next {
				ids[i] = c.upload(images[i], "image/jpeg")
				accepted[i] = time.Now()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	idle(t, s)

	execs, err := s.p.Machine.List(engine.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byImage := map[string]engine.Description{}
	for _, d := range execs {
		if d.Status != engine.StatusSucceeded {
			t.Errorf("execution %s ended %s: %s %s", d.Name, d.Status, d.Error, d.Cause)
		}
		byImage[s.index.image(d).ImageID] = d
	}
	if len(execs) != n {
		t.Errorf("%d executions for %d uploads", len(execs), n)
	}

	ctx := testCtx(t)
	var latencies, queued []time.Duration
	var wall, inHandlers time.Duration
	var end time.Time
	done := 0
	for i, id := range ids {
		item, found, err := s.p.Store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if found && item.Status == stepio.StatusDone {
			done++
		}
		d, ok := byImage[id]
		if !ok {
			t.Errorf("upload %s has no execution", id)
			continue
		}
		latencies = append(latencies, d.StopDate.Sub(accepted[i]))
		queued = append(queued, d.StartDate.Sub(accepted[i]))
		wall += d.StopDate.Sub(d.StartDate)
		inHandlers += s.timing.of(d.ExecutionArn)
		if d.StopDate.After(end) {
			end = d.StopDate
		}
	}
	if done != n {
		t.Fatalf("%d of %d uploads are DONE: %d lost", done, n, n-done)
	}

	if err := s.Shutdown(ctx); err != nil {
		t.Error(err)
	}

	slices.Sort(latencies)
	slices.Sort(queued)
	return loadReport{
		uploads: n, elapsed: end.Sub(start),
		p50: percentile(latencies, 50), p99: percentile(latencies, 99),
		queueP50: percentile(queued, 50),
		outside:  1 - float64(inHandlers)/float64(wall),
	}
}

// percentile returns the p-th percentile of sorted by the nearest-rank
// method.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank-1, 0)]
}

// TestLoad pushes -load.uploads uploads (100 by default) through the local
// stack and checks none is lost: every one has exactly one execution, which
// SUCCEEDED, and a DONE item. It reports throughput, latency and the share
// of execution time outside the handlers; the numbers are not asserted.
func TestLoad(t *testing.T) {
	r := runLoad(t, *loadUploads)
	t.Logf("%d uploads, none lost: %.1f uploads/s; upload→DONE p50 %v p99 %v "+
		"(queue and pipe p50 %v); %.2f%% of execution time outside the handlers",
		r.uploads, r.throughput(), r.p50.Round(time.Millisecond),
		r.p99.Round(time.Millisecond), r.queueP50.Round(time.Millisecond), 100*r.outside)
}

// BenchmarkLoad is the load run: 1,000 uploads per iteration, with
// the same checks as TestLoad, reported as benchmark metrics.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		r := runLoad(b, 1000)
		b.ReportMetric(r.throughput(), "uploads/s")
		b.ReportMetric(float64(r.p50.Milliseconds()), "p50-ms")
		b.ReportMetric(float64(r.p99.Milliseconds()), "p99-ms")
		b.ReportMetric(100*r.outside, "%outside-handlers")
	}
}
