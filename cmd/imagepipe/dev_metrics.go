package main

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	cwstub "github.com/imagepipe/imagepipe/shared/localstack/cloudwatch"
	"github.com/imagepipe/imagepipe/steps/metrics"
)

// metricsRunner is the EventBridge schedule of the metrics Lambda: it
// invokes the real handler every period, against the CloudWatch stand-in,
// and one invocation at a time, as a Lambda with reserved concurrency 1.
type metricsRunner struct {
	h         *metrics.Handler
	cw        *cwstub.Server
	namespace string
	every     time.Duration
	// timeout is the invocation's deadline, the Lambda's configured timeout.
	timeout time.Duration
	s       *devServer

	run     sync.Mutex // held while the handler runs
	mu      sync.Mutex
	lastRun time.Time
	lastErr string
	runs    int
}

// metricsTimeout is the deadline of one invocation, the deployed function's
// timeout.
const metricsTimeout = time.Minute

// invoke runs the handler once with a scheduled event, as EventBridge sends.
func (m *metricsRunner) invoke(ctx context.Context) error {
	m.run.Lock()
	defer m.run.Unlock()
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	now := time.Now().UTC()
	err := m.h.Handle(ctx, events.CloudWatchEvent{
		Version: "0", ID: uuid.NewString(), DetailType: "Scheduled Event",
		Source: "aws.events", AccountID: m.s.p.Stack.AccountID, Time: now,
		Region: m.s.p.Stack.Region,
		Resources: []string{"arn:aws:events:" + m.s.p.Stack.Region + ":" +
			m.s.p.Stack.AccountID + ":rule/imagepipe-metrics"},
		Detail: []byte("{}"),
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastRun, m.runs = now, m.runs+1
	m.lastErr = ""
	if err != nil {
		m.lastErr = err.Error()
	}
	return err
}

// loop invokes the handler at once and then every period until ctx ends.
func (m *metricsRunner) loop(ctx context.Context) {
	if m.every <= 0 {
		return
	}
	ticker := time.NewTicker(m.every)
	defer ticker.Stop()
	for {
		if err := m.invoke(ctx); err != nil && ctx.Err() == nil {
			m.s.log.Warn("scheduled metrics run failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// figure is one metric's latest data point.
type figure struct {
	Metric    string    `json:"metric"`
	Bucket    string    `json:"bucket"`
	Prefix    string    `json:"prefix,omitempty"`
	Value     float64   `json:"value"`
	Unit      string    `json:"unit"`
	Timestamp time.Time `json:"timestamp"`
}

// figures returns the latest point of every metric in the namespace.
func (m *metricsRunner) figures() []figure {
	latest := map[string]figure{}
	for _, p := range m.cw.Points() {
		if p.Namespace != m.namespace {
			continue
		}
		f := figure{Metric: p.MetricName, Value: p.Value, Unit: p.Unit, Timestamp: p.Timestamp}
		for _, d := range p.Dimensions {
			switch d.Name {
			case metrics.DimensionBucketName:
				f.Bucket = d.Value
			case metrics.DimensionPrefix:
				f.Prefix = d.Value
			}
		}
		key := f.Metric + "\x00" + f.Bucket + "\x00" + f.Prefix
		if old, ok := latest[key]; !ok || !p.Timestamp.Before(old.Timestamp) {
			latest[key] = f
		}
	}
	out := make([]figure, 0, len(latest))
	for _, f := range latest {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Bucket != b.Bucket {
			return a.Bucket < b.Bucket
		}
		if a.Prefix != b.Prefix {
			return a.Prefix < b.Prefix
		}
		return a.Metric < b.Metric
	})
	return out
}

// getMetrics answers GET /dev/metrics.
func (s *devServer) getMetrics(w http.ResponseWriter, _ *http.Request) {
	m := s.metrics
	m.mu.Lock()
	status := map[string]any{"namespace": m.namespace, "every": m.every.String(),
		"runs": m.runs, "lastError": m.lastErr}
	if !m.lastRun.IsZero() {
		status["lastRun"] = m.lastRun
		if m.every > 0 {
			status["nextRun"] = m.lastRun.Add(m.every)
		}
	}
	m.mu.Unlock()
	status["figures"] = m.figures()
	writeJSON(w, http.StatusOK, status)
}

// runMetrics answers POST /dev/metrics/run: an invocation now, as "Test" in
// the Lambda console does.
func (s *devServer) runMetrics(w http.ResponseWriter, r *http.Request) {
	if err := s.metrics.invoke(r.Context()); err != nil {
		devError(w, http.StatusBadGateway, "metrics_failed", err.Error())
		return
	}
	s.getMetrics(w, r)
}
