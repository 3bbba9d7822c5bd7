package metrics

import (
	"fmt"
	"strings"
	"time"
)

// BucketsNotReported is the error the handler returns when the figures of at
// least one bucket were not put. aws-lambda-go reports it under this name, and
// any returned error counts in the function's Errors metric, which the
// alarm watches. The other buckets' figures were put.
type BucketsNotReported struct {
	// Failures holds one *ListingTimedOut, *ListingFailed or *PublishFailed
	// per bucket not reported.
	Failures []error
}

func (e *BucketsNotReported) Error() string {
	msgs := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		msgs[i] = f.Error()
	}
	return fmt.Sprintf("metrics: %d bucket(s) not reported: %s", len(e.Failures),
		strings.Join(msgs, "; "))
}

// Unwrap returns the failures, for errors.As.
func (e *BucketsNotReported) Unwrap() []error { return e.Failures }

// ListingTimedOut reports a bucket whose listing did not finish before the
// invocation deadline less the margin. Nothing was put for it: a partial count
// would read as objects deleted.
type ListingTimedOut struct {
	Bucket string
	// Objects is how many objects had been counted when time ran out.
	Objects int64
	// Elapsed is how long the listing ran.
	Elapsed time.Duration
}

func (e *ListingTimedOut) Error() string {
	return fmt.Sprintf("bucket %s: listing unfinished after %s (%d objects counted): "+
		"nothing reported", e.Bucket, e.Elapsed.Round(time.Millisecond), e.Objects)
}

// ListingFailed reports a bucket that S3 would not list, such as a missing
// bucket or denied access, after the SDK's retries.
type ListingFailed struct {
	Bucket string
	// Objects is how many objects had been counted when it failed.
	Objects int64
	Err     error
}

func (e *ListingFailed) Error() string {
	return fmt.Sprintf("bucket %s: listing failed: %v", e.Bucket, e.Err)
}

func (e *ListingFailed) Unwrap() error { return e.Err }

// PublishFailed reports a bucket whose figures CloudWatch refused or could
// not be reached for.
type PublishFailed struct {
	Bucket string
	Err    error
}

func (e *PublishFailed) Error() string {
	return fmt.Sprintf("bucket %s: PutMetricData failed: %v", e.Bucket, e.Err)
}

func (e *PublishFailed) Unwrap() error { return e.Err }
