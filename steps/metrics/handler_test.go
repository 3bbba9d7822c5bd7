package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	cwstub "github.com/imagepipe/imagepipe/shared/localstack/cloudwatch"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/steps/metrics"
)

// stack is gofakes3 and the CloudWatch stand-in on loopback, with the SDK's
// environment pointed at them.
type stack struct {
	backend *s3mem.Backend
	cw      *cwstub.Server
	logs    *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// newStack starts the emulators; wrap, if not nil, sits in front of gofakes3.
func newStack(t testing.TB, wrap func(http.Handler) http.Handler) *stack {
	backend := s3mem.New()
	st := newStackWith(t, backend, wrap)
	st.backend = backend
	return st
}

func newStackWith(t testing.TB, backend gofakes3.Backend,
	wrap func(http.Handler) http.Handler) *stack {
	st := &stack{cw: cwstub.New(), logs: &syncBuffer{}}
	var s3h http.Handler = gofakes3.New(backend).Server()
	if wrap != nil {
		s3h = wrap(s3h)
	}
	s3srv := httptest.NewServer(s3h)
	t.Cleanup(s3srv.Close)
	cwsrv := httptest.NewServer(st.cw)
	t.Cleanup(cwsrv.Close)

	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3":         s3srv.URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH": cwsrv.URL,
		"AWS_ACCESS_KEY_ID":           "AKIDLOCAL",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_REGION":                  "eu-west-1",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return st
}

// handler builds the handler the way lambda/main.go does, from env.
func (st *stack) handler(t testing.TB, env map[string]string) *metrics.Handler {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := metrics.LoadConfig(os.Getenv)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	awsCfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatalf("awsconfig.Load: %v", err)
	}
	awsCfg.HTTPClient = metrics.HTTPClient(cfg.Concurrency)
	logger := slog.New(slog.NewJSONHandler(st.logs, nil))
	return metrics.New(awsconfig.S3(awsCfg), cloudwatch.NewFromConfig(awsCfg), cfg, logger)
}

// seed creates bucket holding keys with the given sizes, straight in the
// backend: thousands of PUTs through HTTP would only slow the tests.
func (st *stack) seed(t testing.TB, bucket string, sizes map[string]int) {
	t.Helper()
	if err := st.backend.CreateBucket(bucket); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
	for key, size := range sizes {
		body := bytes.Repeat([]byte{'x'}, size)
		_, err := st.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(body),
			int64(size), nil)
		if err != nil {
			t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
		}
	}
}

// figures are the sums of a bucket by definition: per top-level prefix (the
// key up to its first "/"), or metrics.RootPrefix for a key without one.
type figures struct {
	objects, bytes int
}

func sums(sizes map[string]int) (figures, map[string]figures) {
	var total figures
	groups := map[string]figures{}
	for key, size := range sizes {
		g := metrics.RootPrefix
		if i := strings.IndexByte(key, '/'); i >= 0 {
			g = key[:i+1]
		}
		f := groups[g]
		f.objects, f.bytes = f.objects+1, f.bytes+size
		groups[g] = f
		total.objects, total.bytes = total.objects+1, total.bytes+size
	}
	return total, groups
}

func originals(users, images int) map[string]int {
	sizes := map[string]int{}
	exts := []string{"jpg", "png", "webp", "gif"}
	for u := range users {
		user := fmt.Sprintf("%08x-user", u*2654435761%(1<<32))
		for i := range images {
			key := objectkey.OriginalKey(user, fmt.Sprintf("img%05d", i), exts[(u+i)%len(exts)])
			sizes[key] = 1 + (u*images+i)%997
		}
	}
	return sizes
}

func processed(images int) map[string]int {
	sizes := map[string]int{}
	for i := range images {
		id := fmt.Sprintf("01HZ%06d", i*7)
		sizes[objectkey.VariantKey(id, "large", true)] = 100 + i%50
		sizes[objectkey.VariantKey(id, "thumb", false)] = 10 + i%7
		sizes[objectkey.VariantKey(id, "medium", false)] = 40 + i%13
	}
	return sizes
}

func dim(name, value string) cwstub.Dimension { return cwstub.Dimension{Name: name, Value: value} }

// assertReported checks the bucket's points in the stand-in: exactly the
// metrics expected, with the expected values, units and one timestamp.
func assertReported(t *testing.T, cw *cwstub.Server, namespace, bucket string,
	sizes map[string]int, always []string) {
	t.Helper()
	total, groups := sums(sizes)
	for _, p := range always {
		groups[p] = groups[p] // always reported, zero when absent
	}

	check := func(want figures, dims ...cwstub.Dimension) {
		t.Helper()
		size, ok := cw.Latest(namespace, metrics.MetricBucketSize, dims...)
		if !ok || size.Value != float64(want.bytes) || size.Unit != "Bytes" {
			t.Errorf("%v %s = %+v (found %v), want %d Bytes", dims, metrics.MetricBucketSize,
				size, ok, want.bytes)
		}
		count, ok := cw.Latest(namespace, metrics.MetricObjectCount, dims...)
		if !ok || count.Value != float64(want.objects) || count.Unit != "Count" {
			t.Errorf("%v %s = %+v (found %v), want %d Count", dims, metrics.MetricObjectCount,
				count, ok, want.objects)
		}
	}
	check(total, dim("BucketName", bucket))
	for g, want := range groups {
		check(want, dim("BucketName", bucket), dim("Prefix", g))
	}

	var ids []string
	stamps := map[time.Time]bool{}
	for _, p := range cw.Points() {
		if p.Dimensions[0] != dim("BucketName", bucket) {
			continue
		}
		if p.Namespace != namespace {
			t.Errorf("point in namespace %q, want %q", p.Namespace, namespace)
		}
		stamps[p.Timestamp] = true
		ids = append(ids, fmt.Sprint(p.MetricName, p.Dimensions))
	}
	if want := 2 + 2*len(groups); len(ids) != want {
		sort.Strings(ids)
		t.Errorf("bucket %s has %d points, want %d: %v", bucket, len(ids), want, ids)
	}
	if len(stamps) != 1 {
		t.Errorf("bucket %s points carry %d timestamps, want one snapshot time", bucket,
			len(stamps))
	}
}

func scheduledEvent(t *testing.T) events.CloudWatchEvent {
	raw, err := os.ReadFile("testdata/scheduled-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// smallPages makes thousands of objects take hundreds of pages, so that
// shards split many times as they would over millions.
var smallPages = map[string]string{
	metrics.EnvPageSize:        "40",
	metrics.EnvConcurrency:     "8",
	metrics.EnvSplitAfterPages: "1",
}

func TestHandleReportsExactSums(t *testing.T) {
	st := newStack(t, nil)
	uploads := originals(120, 25)
	uploads["notes/readme.txt"] = 1234
	uploads["notes/2026/03/plan.txt"] = 99
	uploads["stray-root-object.txt"] = 7
	uploads["user-uploads/"] = 0 // a folder marker from the console
	renditions := processed(1000)
	st.seed(t, "originals", uploads)
	st.seed(t, "renditions", renditions)
	env := map[string]string{metrics.EnvBuckets: "originals, renditions"}
	for k, v := range smallPages {
		env[k] = v
	}
	h := st.handler(t, env)

	if err := h.Handle(context.Background(), scheduledEvent(t)); err != nil {
		t.Fatalf("Handle: %v", err)
	}

	always := []string{objectkey.UploadsPrefix, objectkey.ProcessedPrefix}
	assertReported(t, st.cw, metrics.DefaultNamespace, "originals", uploads, always)
	assertReported(t, st.cw, metrics.DefaultNamespace, "renditions", renditions, always)
	puts := 0
	for _, r := range st.cw.Requests() {
		if r.Operation == "PutMetricData" && r.ErrorType == "" {
			puts++
		}
	}
	if puts != 2 {
		t.Errorf("%d PutMetricData calls, want one per bucket", puts)
	}
	reported := map[string]bool{}
	for _, line := range st.logs.lines(t) {
		if line["msg"] == "bucket reported" {
			reported[line["bucket"].(string)] = true
			if line["eventId"] != "89d1a02d-5ec7-412e-82f5-13505f849b41" {
				t.Errorf("log line without the event id: %v", line)
			}
		}
	}
	if !reported["originals"] || !reported["renditions"] {
		t.Errorf("log lines %v, want one 'bucket reported' per bucket", st.logs.lines(t))
	}
}

func TestHandleEmptyBucketReportsZeros(t *testing.T) {
	st := newStack(t, nil)
	st.seed(t, "empty", nil)
	h := st.handler(t, map[string]string{metrics.EnvBuckets: "empty",
		metrics.EnvNamespace: "Imagepipe/Test"})

	if err := h.Handle(context.Background(), scheduledEvent(t)); err != nil {
		t.Fatalf("Handle: %v", err)
	}

	assertReported(t, st.cw, "Imagepipe/Test", "empty", nil,
		[]string{objectkey.UploadsPrefix, objectkey.ProcessedPrefix})
}

func TestHandleMissingBucketFailsThatBucketOnly(t *testing.T) {
	st := newStack(t, nil)
	sizes := originals(10, 10)
	st.seed(t, "present", sizes)
	h := st.handler(t, map[string]string{metrics.EnvBuckets: "missing,present"})

	err := h.Handle(context.Background(), scheduledEvent(t))

	var notReported *metrics.BucketsNotReported
	var failed *metrics.ListingFailed
	if !errors.As(err, &notReported) || len(notReported.Failures) != 1 ||
		!errors.As(err, &failed) || failed.Bucket != "missing" {
		t.Fatalf("err = %v, want *BucketsNotReported with one *ListingFailed for missing", err)
	}
	if name := fmt.Sprintf("%T", err); name != "*metrics.BucketsNotReported" {
		t.Errorf("the handler returned a %s: Lambda would report that name", name)
	}
	assertReported(t, st.cw, metrics.DefaultNamespace, "present", sizes,
		[]string{objectkey.UploadsPrefix, objectkey.ProcessedPrefix})
	for _, p := range st.cw.Points() {
		if p.Dimensions[0].Value == "missing" {
			t.Fatalf("a point was put for the missing bucket: %+v", p)
		}
	}
}

// stallAfterFirstPage lets each shard of bucket list its first page, then
// holds every later page until the client gives up, like a listing too slow
// for the deadline.
func stallAfterFirstPage(bucket string, release <-chan struct{}) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/"+bucket) &&
				r.URL.Query().Has("continuation-token") {
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestHandleDeadlineReportsNothingForUnfinishedBucket(t *testing.T) {
	release := make(chan struct{})
	st := newStack(t, stallAfterFirstPage("slow", release))
	t.Cleanup(func() { close(release) }) // runs before the servers close
	slow, fast := originals(20, 20), originals(5, 5)
	st.seed(t, "slow", slow)
	st.seed(t, "fast", fast)
	h := st.handler(t, map[string]string{metrics.EnvBuckets: "slow,fast",
		metrics.EnvPageSize: "50", metrics.EnvDeadlineMargin: "1s"})

	// The listing deadline is 3s away: long enough for the fast bucket on any
	// machine, and the slow one cannot finish at all.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	err := h.Handle(ctx, scheduledEvent(t))

	var timedOut *metrics.ListingTimedOut
	if !errors.As(err, &timedOut) || timedOut.Bucket != "slow" || timedOut.Objects == 0 {
		t.Fatalf("err = %v, want *ListingTimedOut for slow after its first pages", err)
	}
	for _, p := range st.cw.Points() {
		if p.Dimensions[0].Value == "slow" {
			t.Fatalf("a partial count was put for the slow bucket: %+v", p)
		}
	}
	assertReported(t, st.cw, metrics.DefaultNamespace, "fast", fast,
		[]string{objectkey.UploadsPrefix, objectkey.ProcessedPrefix})

	logged := false
	for _, line := range st.logs.lines(t) {
		if line["bucket"] == "slow" && line["level"] == "ERROR" {
			logged = line["objectsCounted"].(float64) == float64(timedOut.Objects) &&
				line["elapsed"] != nil && strings.Contains(line["msg"].(string), "deadline")
		}
	}
	if !logged {
		t.Errorf("no error line with bucket, objectsCounted and elapsed: %v", st.logs.lines(t))
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		check   func(metrics.Config) bool
	}{
		{"defaults", map[string]string{metrics.EnvBuckets: "a, b"}, "",
			func(c metrics.Config) bool {
				return len(c.Buckets) == 2 && c.Buckets[1] == "b" && c.Namespace == "CustomS3" &&
					c.Concurrency == 32 && c.PageSize == 1000 && c.MaxPrefixes == 100 &&
					c.DeadlineMargin == 10*time.Second && len(c.Prefixes) == 2
			}},
		{"no prefixes", map[string]string{metrics.EnvBuckets: "a", metrics.EnvPrefixes: "none"},
			"", func(c metrics.Config) bool { return len(c.Prefixes) == 0 }},
		{"no buckets", map[string]string{}, metrics.EnvBuckets, nil},
		{"bucket twice", map[string]string{metrics.EnvBuckets: "a,a"}, metrics.EnvBuckets, nil},
		{"AWS namespace", map[string]string{metrics.EnvBuckets: "a",
			metrics.EnvNamespace: "AWS/S3"}, metrics.EnvNamespace, nil},
		{"concurrency 0", map[string]string{metrics.EnvBuckets: "a",
			metrics.EnvConcurrency: "0"}, metrics.EnvConcurrency, nil},
		{"page size 1001", map[string]string{metrics.EnvBuckets: "a",
			metrics.EnvPageSize: "1001"}, metrics.EnvPageSize, nil},
		{"margin not a duration", map[string]string{metrics.EnvBuckets: "a",
			metrics.EnvDeadlineMargin: "10"}, metrics.EnvDeadlineMargin, nil},
		{"nested prefix", map[string]string{metrics.EnvBuckets: "a",
			metrics.EnvPrefixes: "user-uploads/x/"}, metrics.EnvPrefixes, nil},
		{"too many prefix metrics", map[string]string{metrics.EnvBuckets: "a",
			metrics.EnvMaxPrefixes: "500"}, metrics.EnvMaxPrefixes, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := metrics.LoadConfig(func(k string) string { return tt.env[k] })
			if tt.wantVar == "" {
				if err != nil || !tt.check(cfg) {
					t.Errorf("LoadConfig = %+v, %v", cfg, err)
				}
				return
			}
			var cerr *metrics.ConfigError
			if !errors.As(err, &cerr) || cerr.Var != tt.wantVar {
				t.Errorf("err = %v, want a *ConfigError for %s", err, tt.wantVar)
			}
		})
	}
}
