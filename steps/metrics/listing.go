package metrics

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// RootPrefix is the Prefix dimension value of the objects at the root of a
// bucket, whose keys hold no "/". Real top-level prefixes always end in "/",
// so it cannot clash with one.
const RootPrefix = "(root)"

// Usage is what a set of objects holds.
type Usage struct {
	Objects int64
	Bytes   int64
}

func (u *Usage) add(o Usage) {
	u.Objects += o.Objects
	u.Bytes += o.Bytes
}

// Snapshot is the complete listing of one bucket.
type Snapshot struct {
	Bucket string
	// Time is when the listing began: the timestamp of every metric put for
	// this snapshot, so that the bucket's figures line up in CloudWatch.
	Time time.Time
	// Total is the whole bucket.
	Total Usage
	// Prefixes holds each top-level prefix found, and RootPrefix when objects
	// sit at the root. Their sum is Total.
	Prefixes map[string]Usage
	// Lists is how many ListObjectsV2 requests the listing took.
	Lists int64
	// Elapsed is how long the listing took.
	Elapsed time.Duration
}

// errNoToken reports a truncated page without a continuation token: going on
// would list the same page forever.
var errNoToken = errors.New("metrics: ListObjectsV2 answered a truncated page without " +
	"NextContinuationToken")

// shard is a queued key range of one bucket's listing.
type shard struct {
	run   *bucketRun
	group string // the top-level prefix, or RootPrefix, the keys count for
	keyRange
}

// bucketRun is the listing of one bucket in progress.
type bucketRun struct {
	bucket  string
	started time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	shards  sync.WaitGroup
	objects atomic.Int64 // counted so far, for the log when time runs out
	lists   atomic.Int64

	mu     sync.Mutex
	groups map[string]Usage
	err    error
}

func (r *bucketRun) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.cancel()
}

func (r *bucketRun) addGroup(group string, u Usage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groups[group]
	g.add(u)
	r.groups[group] = g
}

// lister lists buckets through one bounded pool of workers, shared by every
// bucket of an invocation so that LIST_CONCURRENCY bounds the whole.
type lister struct {
	s3         ObjectLister
	pageSize   int32
	splitAfter int
	workers    int

	mu     sync.Mutex
	wake   *sync.Cond
	queue  []*shard
	closed bool
}

func newLister(api ObjectLister, cfg Config) *lister {
	l := &lister{s3: api, pageSize: cfg.PageSize, splitAfter: cfg.SplitAfterPages,
		workers: cfg.Concurrency}
	l.wake = sync.NewCond(&l.mu)
	return l
}

// start runs the workers until close.
func (l *lister) start() *sync.WaitGroup {
	var wg sync.WaitGroup
	for range l.workers {
		wg.Go(func() {
			for {
				s, ok := l.pop()
				if !ok {
					return
				}
				if s.run.ctx.Err() == nil {
					l.list(s)
				}
				s.run.shards.Done()
			}
		})
	}
	return &wg
}

func (l *lister) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.wake.Broadcast()
}

func (l *lister) push(shards ...*shard) {
	if len(shards) == 0 {
		return
	}
	shards[0].run.shards.Add(len(shards))
	l.mu.Lock()
	l.queue = append(l.queue, shards...)
	l.mu.Unlock()
	l.wake.Broadcast()
}

func (l *lister) pop() (*shard, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.queue) == 0 && !l.closed {
		l.wake.Wait()
	}
	if len(l.queue) == 0 {
		return nil, false
	}
	s := l.queue[0]
	l.queue[0] = nil
	l.queue = l.queue[1:]
	return s, true
}

// hungry reports whether some worker may idle: only then is splitting worth
// its extra requests. A lone worker would list the forks itself, in order.
func (l *lister) hungry() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.workers > 1 && len(l.queue) < l.workers
}

// measure lists one bucket to the end, or until ctx is done, with the pool's
// workers, and returns its snapshot.
func (l *lister) measure(ctx context.Context, bucket string) (Snapshot, error) {
	run := &bucketRun{bucket: bucket, started: time.Now(), groups: map[string]Usage{}}
	run.ctx, run.cancel = context.WithCancel(ctx)
	defer run.cancel()

	if err := l.discover(run); err != nil {
		run.fail(err)
	}
	run.shards.Wait()

	// A failed listing's snapshot carries no sums: partial ones must not be
	// mistaken for the bucket's.
	snap := Snapshot{Bucket: bucket, Time: run.started.UTC().Truncate(time.Millisecond),
		Lists: run.lists.Load(), Elapsed: time.Since(run.started)}
	if run.err != nil {
		if errors.Is(run.ctx.Err(), context.DeadlineExceeded) {
			return snap, &ListingTimedOut{Bucket: bucket, Objects: run.objects.Load(),
				Elapsed: snap.Elapsed}
		}
		return snap, &ListingFailed{Bucket: bucket, Objects: run.objects.Load(), Err: run.err}
	}
	snap.Prefixes = run.groups
	for _, u := range run.groups {
		snap.Total.add(u)
	}
	return snap, nil
}

// discover lists the root of the bucket with the delimiter "/": the objects
// there are counted at once, and each top-level prefix becomes a shard. Top
// levels are few, so this takes a request or two.
func (l *lister) discover(run *bucketRun) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(run.bucket), Delimiter: aws.String("/"),
		MaxKeys: aws.Int32(l.pageSize)}
	var root Usage
	seen := map[string]bool{}
	prefix := func(p string) *shard {
		if seen[p] {
			return nil
		}
		seen[p] = true
		return &shard{run: run, group: p, keyRange: keyRange{prefix: p, root: p}}
	}
	for {
		out, err := l.s3.ListObjectsV2(run.ctx, in)
		run.lists.Add(1)
		if err != nil {
			return err
		}
		var shards []*shard
		for _, cp := range out.CommonPrefixes {
			// S3 names each prefix once; some emulators repeat one across pages.
			if s := prefix(aws.ToString(cp.Prefix)); s != nil {
				shards = append(shards, s)
			}
		}
		for _, obj := range out.Contents {
			// S3 rolls every key holding "/" into a common prefix. gofakes3
			// answers a key such as "user-uploads/" as an object instead: it
			// belongs to its prefix's shard, which lists it, not to the root.
			key := aws.ToString(obj.Key)
			if i := strings.IndexByte(key, '/'); i >= 0 {
				if s := prefix(key[:i+1]); s != nil {
					shards = append(shards, s)
				}
				continue
			}
			root.add(Usage{Objects: 1, Bytes: aws.ToInt64(obj.Size)})
			run.objects.Add(1)
		}
		l.push(shards...)
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if out.NextContinuationToken == nil {
			return errNoToken
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	if root.Objects > 0 {
		run.addGroup(RootPrefix, root)
	}
	return nil
}

// list lists one shard. While it proves large and workers would otherwise
// idle, it forks what lies beyond its current subtree into new shards every
// splitAfter pages (see splitRange), so the number of shards grows quickly to
// the pool's width and then stops growing.
func (l *lister) list(s *shard) {
	run := s.run
	in := &s3.ListObjectsV2Input{Bucket: aws.String(run.bucket), Prefix: aws.String(s.prefix),
		MaxKeys: aws.Int32(l.pageSize)}
	if s.startAfter != "" {
		in.StartAfter = aws.String(s.startAfter)
	}

	var sum Usage
	sinceSplit := 0
	for {
		out, err := l.s3.ListObjectsV2(run.ctx, in)
		run.lists.Add(1)
		if err != nil {
			run.fail(err)
			return
		}

		done := false
		before := sum.Objects
		for _, obj := range out.Contents {
			key := aws.ToString(obj.Key)
			if s.hi != "" && key >= s.hi {
				done = true
				break
			}
			if key >= s.lo {
				sum.add(Usage{Objects: 1, Bytes: aws.ToInt64(obj.Size)})
			}
		}
		run.objects.Add(sum.Objects - before)
		if done || !aws.ToBool(out.IsTruncated) {
			break
		}
		if out.NextContinuationToken == nil {
			run.fail(errNoToken)
			return
		}
		in.ContinuationToken, in.StartAfter = out.NextContinuationToken, nil

		sinceSplit++
		if len(out.Contents) > 0 && sinceSplit >= l.splitAfter && l.hungry() {
			// Below lo, the listing is still skipping keys that belong to the
			// shard this one forked from: a split there would fork this very
			// shard again.
			first := aws.ToString(out.Contents[0].Key)
			last := aws.ToString(out.Contents[len(out.Contents)-1].Key)
			if hi, root, forks, ok := splitRange(s.root, first, last, s.hi); ok && last >= s.lo {
				s.hi, s.root = hi, root
				shards := make([]*shard, len(forks))
				for i, f := range forks {
					shards[i] = &shard{run: run, group: s.group, keyRange: f}
				}
				l.push(shards...)
				sinceSplit = 0
			}
		}
	}
	run.addGroup(s.group, sum)
}
