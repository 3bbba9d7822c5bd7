package metrics

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// Environment variables of the metrics Lambda. Every one but EnvBuckets has a
// default; the AWS SDK reads its own (AWS_REGION, AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL_CLOUDWATCH, …) separately.
const (
	// EnvBuckets is the comma-separated list of buckets to measure. Required.
	EnvBuckets = "METRIC_BUCKETS"
	// EnvNamespace is the CloudWatch namespace; default [DefaultNamespace].
	EnvNamespace = "METRICS_NAMESPACE"
	// EnvPrefixes is the comma-separated list of top-level prefixes reported
	// for every bucket even when they hold nothing (as zeros), so that their
	// graphs and alarms never run out of data; default user-uploads/,processed/.
	// Other top-level prefixes are reported when they hold objects; "none"
	// reports only those.
	EnvPrefixes = "METRIC_PREFIXES"
	// EnvConcurrency is how many ListObjectsV2 requests run at once, across all
	// buckets; default 32.
	EnvConcurrency = "LIST_CONCURRENCY"
	// EnvPageSize is the MaxKeys of each ListObjectsV2 request, 1 to 1000;
	// default 1000, the most S3 returns. Smaller pages only cost more requests.
	EnvPageSize = "LIST_PAGE_SIZE"
	// EnvSplitAfterPages is how many pages a shard lists before it may split
	// the rest of its key range into new shards; default 2. Shards smaller
	// than that never split, which keeps small buckets at one request per
	// 1000 objects.
	EnvSplitAfterPages = "LIST_SPLIT_AFTER_PAGES"
	// EnvDeadlineMargin is the time kept back before the Lambda deadline for
	// putting the metrics (a Go duration such as 10s); default 10s. A bucket
	// whose listing has not finished by then is not reported.
	EnvDeadlineMargin = "DEADLINE_MARGIN"
	// EnvMaxPrefixes caps how many top-level prefixes of one bucket get their
	// own metrics, 0 to [MaxPrefixesLimit]; default 100. Each is two custom
	// metrics, billed monthly; the rest still count in the bucket's totals.
	EnvMaxPrefixes = "MAX_PREFIX_METRICS"
)

// Defaults of the settings.
const (
	DefaultNamespace       = "CustomS3"
	DefaultConcurrency     = 32
	DefaultPageSize        = 1000
	DefaultSplitAfterPages = 2
	DefaultDeadlineMargin  = 10 * time.Second
	DefaultMaxPrefixes     = 100
)

// MaxPrefixesLimit is the largest [EnvMaxPrefixes]: with it, one bucket's
// snapshot is 2 + 2*499 = 1000 metrics, one PutMetricData request, so that a
// bucket's figures are put all together or not at all.
const MaxPrefixesLimit = (maxMetricsPerRequest - 2) / 2

// Config is the configuration of a [Handler].
type Config struct {
	// Buckets are measured one snapshot each.
	Buckets []string
	// Namespace is the CloudWatch namespace of every metric.
	Namespace string
	// Prefixes are the top-level prefixes always reported, each ending in "/".
	Prefixes []string
	// Concurrency bounds the ListObjectsV2 requests in flight.
	Concurrency int
	// PageSize is the MaxKeys of a listing page.
	PageSize int32
	// SplitAfterPages is how many pages a shard lists before it may split.
	SplitAfterPages int
	// DeadlineMargin is kept back before the invocation deadline.
	DeadlineMargin time.Duration
	// MaxPrefixes caps the top-level prefixes reported per bucket.
	MaxPrefixes int
}

// ConfigError reports an environment variable that is missing or cannot be
// used.
type ConfigError struct {
	Var    string
	Value  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("metrics: %s=%q: %s", e.Var, e.Value, e.Reason)
}

// LoadConfig reads the configuration through getenv, normally os.Getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{}
	var err error

	raw := getenv(EnvBuckets)
	cfg.Buckets = splitList(raw)
	if len(cfg.Buckets) == 0 {
		return cfg, &ConfigError{EnvBuckets, raw, "at least one bucket name is required"}
	}
	seen := map[string]bool{}
	for _, b := range cfg.Buckets {
		if seen[b] {
			return cfg, &ConfigError{EnvBuckets, raw, "bucket " + b + " is listed twice"}
		}
		seen[b] = true
	}

	cfg.Namespace = DefaultNamespace
	if raw := getenv(EnvNamespace); raw != "" {
		if strings.HasPrefix(raw, "AWS/") || len(raw) > 255 {
			return cfg, &ConfigError{EnvNamespace, raw,
				"must be at most 255 characters and not start with AWS/"}
		}
		cfg.Namespace = raw
	}

	cfg.Prefixes = []string{objectkey.UploadsPrefix, objectkey.ProcessedPrefix}
	switch raw := getenv(EnvPrefixes); raw {
	case "":
	case "none":
		cfg.Prefixes = nil
	default:
		cfg.Prefixes = splitList(raw)
		for _, p := range cfg.Prefixes {
			if !strings.HasSuffix(p, "/") || strings.Count(p, "/") != 1 || p == "/" {
				return cfg, &ConfigError{EnvPrefixes, raw,
					"each prefix must be top-level and end in /, such as processed/"}
			}
		}
	}

	if cfg.Concurrency, err = intVar(getenv, EnvConcurrency, DefaultConcurrency, 1,
		1000); err != nil {
		return cfg, err
	}
	pageSize, err := intVar(getenv, EnvPageSize, DefaultPageSize, 1, 1000)
	if err != nil {
		return cfg, err
	}
	cfg.PageSize = int32(pageSize)
	if cfg.SplitAfterPages, err = intVar(getenv, EnvSplitAfterPages, DefaultSplitAfterPages,
		1, 1<<20); err != nil {
		return cfg, err
	}
	if cfg.MaxPrefixes, err = intVar(getenv, EnvMaxPrefixes, DefaultMaxPrefixes, 0,
		MaxPrefixesLimit); err != nil {
		return cfg, err
	}
	if len(cfg.Prefixes) > cfg.MaxPrefixes {
		return cfg, &ConfigError{EnvPrefixes, getenv(EnvPrefixes), fmt.Sprintf(
			"lists more prefixes than %s=%d allows", EnvMaxPrefixes, cfg.MaxPrefixes)}
	}

	cfg.DeadlineMargin = DefaultDeadlineMargin
	if raw := getenv(EnvDeadlineMargin); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 {
			return cfg, &ConfigError{EnvDeadlineMargin, raw,
				"must be a non-negative Go duration such as 10s"}
		}
		cfg.DeadlineMargin = d
	}
	return cfg, nil
}

func splitList(raw string) []string {
	var out []string
	for _, s := range strings.Split(raw, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func intVar(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	raw := getenv(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, &ConfigError{name, raw, fmt.Sprintf("must be an integer from %d to %d", lo, hi)}
	}
	return n, nil
}
