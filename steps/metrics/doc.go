// Package metrics is the handler of the metrics Lambda: on an EventBridge
// schedule it lists each configured bucket completely and puts what it holds
// into CloudWatch.
//
// # Why it exists
//
// S3 publishes BucketSizeBytes and NumberOfObjects in the AWS/S3 namespace for
// free, but once a day, and only per bucket and storage class. This function
// exists for freshness (its rate is the schedule's: a minute, five, an hour)
// and for the breakdown by top-level prefix, which S3's metrics do not have.
// Its figures count current object versions as ListObjectsV2 returns them:
// unlike S3's own, they leave out noncurrent versions and incomplete
// multipart uploads.
//
// # What it puts
//
// In the namespace METRICS_NAMESPACE (default CustomS3), per bucket, with one
// timestamp per bucket snapshot (when its listing began):
//
//   - BucketSizeBytes (unit Bytes) and NumberOfObjects (unit Count) with the
//     dimension BucketName;
//   - the same two with the dimensions BucketName and Prefix for each
//     top-level prefix: those of METRIC_PREFIXES (default user-uploads/ and
//     processed/) always, as zeros when empty, so their graphs and alarms
//     never lack data; any other top-level prefix found, while it holds
//     objects; and objects at the root of the bucket, if any, under the
//     Prefix value [RootPrefix], "(root)", which no real prefix can be since
//     those end in "/". The prefixes add up to the bucket's figures.
//
// Every prefix is two custom metrics, billed monthly, so MAX_PREFIX_METRICS
// (default 100) caps them per bucket; the rest count in the bucket totals and
// a warning is logged. Within the cap a bucket's figures fit in one
// PutMetricData request (at most 1000 metrics), so they are put all together
// or not at all.
//
// # Listing a large bucket
//
// S3 has no count API: the only exact figures come from listing every key, at
// most 1000 keys a page. A bucket of 10 million objects is at least 10,000
// ListObjectsV2 pages, which one after another at S3's 20-50 ms a page take
// 4-8 minutes. So the listing is split into shards, key ranges listed at once
// by a pool of LIST_CONCURRENCY workers (default 32) shared by all buckets.
//
// A delimiter listing of the root finds the top-level prefixes (and counts
// the objects at the root); each becomes a shard. Listing the next level the
// same way (the user prefixes under user-uploads/, the image folders under
// processed/) does not scale: processed/ holds one object and one folder per
// image, so at millions of images that discovery is itself a sequential
// listing of millions of entries. Instead, a shard that has listed
// LIST_SPLIT_AFTER_PAGES pages (default 2) while workers would idle splits
// what is left of its range, using the page it just read: its keys differ
// first at some level below the prefix, where keys are dense. The shard keeps
// the rest of its current subtree at that level, and everything after it
// becomes new shards, one per level up to the shard's root, each halved at
// the middle of the byte values left at its level. Each new shard starts with
// StartAfter just past the subtree before it (with U+10FFFF, which sorts after
// any real key, so S3 skips that subtree), and stops at its upper bound.
// Shards partition the keys exactly, whatever bytes they hold; they are cut
// by bytes, so no id alphabet is assumed, and the dense level is found
// whether ids are random (UUIDs) or time-ordered (ULIDs). Splits stop when
// the queue holds a shard per worker, and shards of fewer pages than the
// threshold never split, so a small bucket costs no more requests than a
// plain listing; a large one costs some more (the last page of each shard
// overlaps the next one, and shards at levels with nothing cost an empty
// answer): about 1.3-1.7 requests per 1000 keys in our simulations.
//
// What bounds a 10-million-object bucket, then, is not latency but:
//
//   - CPU: each 1000-key page is ~350 KB of XML, and the SDK spends 10-20 ms
//     of CPU decoding it (measured on this project's build machine), so
//     10,000 pages are 2-3 CPU-minutes. Once two or three requests per vCPU
//     are in flight, the function is CPU-bound and more concurrency buys
//     nothing; its memory size, which sets its vCPUs (1 at 1769 MB, up to 6
//     at 10240 MB), does: roughly 3 minutes for 10M objects on one vCPU, well
//     under a minute on six.
//   - Money: LIST requests cost $0.005 per 1000, so each run over 10M objects
//     is about $0.05-0.08, and at a one-minute schedule that is $70-120 a
//     day. Pick the rate by bucket size; for much larger buckets, S3
//     Inventory or Storage Lens are the cheaper sources.
//   - Time: the Lambda timeout (at most 15 minutes), with the margin below.
//
// Memory does not grow with the bucket: only sums are kept.
//
// # Deadline and failures
//
// The listing of each bucket must end DEADLINE_MARGIN (default 10s) before the
// invocation deadline, so that the put and the return still happen in time.
// A bucket not listed completely by then has nothing put for it, not a
// partial count that would read as objects deleted, and a JSON log line says
// why, with the bucket, the objects counted so far and the time elapsed. A
// bucket that fails (missing, access denied, CloudWatch refusing the data)
// does not stop the others: each bucket's figures are put as soon as its
// listing completes. The handler then returns a *[BucketsNotReported], so
// the invocation fails and an alarm on the function's Errors metric fires.
//
// A listing is not a snapshot: objects written or deleted while it runs may
// or may not be counted, as with any ListObjectsV2 walk.
//
// # Configuration
//
// All from the environment, see [LoadConfig]: METRIC_BUCKETS (required),
// METRICS_NAMESPACE, METRIC_PREFIXES, LIST_CONCURRENCY, LIST_PAGE_SIZE,
// LIST_SPLIT_AFTER_PAGES, DEADLINE_MARGIN and MAX_PREFIX_METRICS, and the AWS
// SDK's own variables (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_CLOUDWATCH, …).
// The function needs s3:ListBucket on each bucket and
// cloudwatch:PutMetricData.
package metrics
