package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Metric and dimension names, as AWS names its own S3 storage metrics.
const (
	MetricBucketSize    = "BucketSizeBytes"
	MetricObjectCount   = "NumberOfObjects"
	DimensionBucketName = "BucketName"
	DimensionPrefix     = "Prefix"
)

// maxMetricsPerRequest is PutMetricData's limit on metric data per request
// (CloudWatch API reference, PutMetricData: 1000 metrics, 1 MB).
const maxMetricsPerRequest = 1000

// ObjectLister is the part of the S3 client the handler uses.
type ObjectLister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input,
		optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// MetricPutter is the part of the CloudWatch client the handler uses.
type MetricPutter interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput,
		optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Handler measures the configured buckets and puts their figures.
type Handler struct {
	s3  ObjectLister
	cw  MetricPutter
	cfg Config
	log *slog.Logger
}

// New returns a handler. logger receives one line per bucket.
func New(s3api ObjectLister, cw MetricPutter, cfg Config, logger *slog.Logger) *Handler {
	return &Handler{s3: s3api, cw: cw, cfg: cfg, log: logger}
}

// HTTPClient returns the SDK's HTTP client with room for concurrency idle
// connections per host. The SDK keeps 10 by default, so a wider pool of
// listers would close and reopen (and TLS-handshake) connections all the time.
func HTTPClient(concurrency int) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = max(concurrency+2, awshttp.DefaultHTTPTransportMaxIdleConnsPerHost)
		t.MaxIdleConns = max(t.MaxIdleConns, t.MaxIdleConnsPerHost)
	})
}

// Handle is the Lambda handler for the EventBridge schedule. It measures every
// bucket at once, puts each bucket's figures as soon as its listing is
// complete, and returns a *[BucketsNotReported] if any bucket was not
// reported; the event itself carries nothing the measurement needs.
func (h *Handler) Handle(ctx context.Context, event events.CloudWatchEvent) error {
	log := h.log
	if event.ID != "" {
		log = log.With("eventId", event.ID)
	}
	listCtx, cancel := h.listingContext(ctx)
	defer cancel()

	l := newLister(h.s3, h.cfg)
	workers := l.start()
	errs := make([]error, len(h.cfg.Buckets))
	var wg sync.WaitGroup
	for i, bucket := range h.cfg.Buckets {
		wg.Go(func() { errs[i] = h.report(ctx, listCtx, log, l, bucket) })
	}
	wg.Wait()
	l.close()
	workers.Wait()

	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return &BucketsNotReported{Failures: failed}
	}
	return nil
}

// Measure lists bucket to the end and returns its snapshot without putting
// anything, within ctx's deadline less the margin. On error the snapshot holds
// only Bucket, Time, Lists and Elapsed.
func (h *Handler) Measure(ctx context.Context, bucket string) (Snapshot, error) {
	listCtx, cancel := h.listingContext(ctx)
	defer cancel()
	l := newLister(h.s3, h.cfg)
	workers := l.start()
	defer workers.Wait()
	defer l.close()
	return l.measure(listCtx, bucket)
}

// listingContext ends the listing DeadlineMargin before ctx's deadline, so
// that the put and the return happen before Lambda stops the invocation.
func (h *Handler) listingContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-h.cfg.DeadlineMargin))
}

func (h *Handler) report(ctx, listCtx context.Context, log *slog.Logger, l *lister,
	bucket string) error {
	snap, err := l.measure(listCtx, bucket)
	if err != nil {
		var timedOut *ListingTimedOut
		reason := "listing failed"
		if errors.As(err, &timedOut) {
			reason = "listing did not finish before the deadline less " + EnvDeadlineMargin
		}
		log.ErrorContext(ctx, "bucket not reported: "+reason, "bucket", bucket,
			"objectsCounted", countedSoFar(err), "elapsed", snap.Elapsed.String(),
			"lists", snap.Lists, "error", err.Error())
		return err
	}

	data, skipped := h.metricData(snap)
	if skipped > 0 {
		log.WarnContext(ctx, "top-level prefixes beyond "+EnvMaxPrefixes+
			" count in the bucket totals only", "bucket", bucket, "skipped", skipped,
			"maxPrefixes", h.cfg.MaxPrefixes)
	}
	if err := h.put(ctx, data); err != nil {
		log.ErrorContext(ctx, "bucket not reported: PutMetricData failed", "bucket", bucket,
			"metrics", len(data), "error", err.Error())
		return &PublishFailed{Bucket: bucket, Err: err}
	}
	log.InfoContext(ctx, "bucket reported", "bucket", bucket,
		"objects", snap.Total.Objects, "bytes", snap.Total.Bytes,
		"prefixes", len(snap.Prefixes), "metrics", len(data), "lists", snap.Lists,
		"elapsed", snap.Elapsed.String(), "timestamp", snap.Time)
	return nil
}

func countedSoFar(err error) int64 {
	var timedOut *ListingTimedOut
	if errors.As(err, &timedOut) {
		return timedOut.Objects
	}
	var failed *ListingFailed
	if errors.As(err, &failed) {
		return failed.Objects
	}
	return 0
}

// metricData returns the bucket's two metrics and two per reported prefix:
// the always-reported prefixes first, zero when absent, then the others found,
// in key order, up to MaxPrefixes. It also returns how many prefixes it left
// out.
func (h *Handler) metricData(snap Snapshot) ([]types.MetricDatum, int) {
	groups := slices.Clone(h.cfg.Prefixes)
	var found []string
	for g := range snap.Prefixes {
		if !slices.Contains(groups, g) {
			found = append(found, g)
		}
	}
	sort.Strings(found)
	groups = append(groups, found...)
	skipped := 0
	if len(groups) > h.cfg.MaxPrefixes {
		skipped = len(groups) - h.cfg.MaxPrefixes
		groups = groups[:h.cfg.MaxPrefixes]
	}

	bucketDim := types.Dimension{Name: aws.String(DimensionBucketName),
		Value: aws.String(snap.Bucket)}
	data := datumPair(snap.Time, snap.Total, bucketDim)
	for _, g := range groups {
		data = append(data, datumPair(snap.Time, snap.Prefixes[g], bucketDim,
			types.Dimension{Name: aws.String(DimensionPrefix), Value: aws.String(g)})...)
	}
	return data, skipped
}

func datumPair(at time.Time, u Usage, dims ...types.Dimension) []types.MetricDatum {
	return []types.MetricDatum{{
		MetricName: aws.String(MetricBucketSize),
		Dimensions: dims,
		Timestamp:  aws.Time(at),
		Value:      aws.Float64(float64(u.Bytes)),
		Unit:       types.StandardUnitBytes,
	}, {
		MetricName: aws.String(MetricObjectCount),
		Dimensions: dims,
		Timestamp:  aws.Time(at),
		Value:      aws.Float64(float64(u.Objects)),
		Unit:       types.StandardUnitCount,
	}}
}

// put sends data in requests of at most maxMetricsPerRequest metrics. With
// MaxPrefixes within MaxPrefixesLimit a bucket takes a single request.
func (h *Handler) put(ctx context.Context, data []types.MetricDatum) error {
	for batch := range slices.Chunk(data, maxMetricsPerRequest) {
		_, err := h.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
			Namespace:  aws.String(h.cfg.Namespace),
			MetricData: batch,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
