package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/imagepipe/imagepipe/shared/imaging"
)

// Defaults of the stack configuration, set with `pulumi config set <key> <value>`.
const (
	defaultBuildDir             = "../build"
	defaultVariants             = "large:1600,medium:800,thumb:200"
	defaultJPEGQuality          = 85
	defaultBackground           = "#ffffff"
	defaultMaxPixels            = 50_000_000
	defaultMaxBytes             = 50 << 20
	defaultContentTypes         = "image/jpeg,image/png,image/gif,image/webp"
	defaultUploadURLExpiry      = "5m"
	defaultImageURLExpiry       = "5m"
	defaultCORSOrigins          = "http://localhost:8080"
	defaultMetricsRate          = "1 hour"
	defaultLogRetentionDays     = 30
	defaultBucketSizeAlarmBytes = 100 << 30
	// defaultResizeMemoryMB is one full vCPU, which the CPU-bound resize uses
	// all of; its worst case at the default 50 MP cap (a progressive 4:4:4
	// JPEG) peaks near 320 MB (shared/imaging's doc has the measurements).
	defaultResizeMemoryMB       = 1769
	defaultResizeTimeoutSeconds = 120
	defaultStateMachineLogLevel = "ERROR"
	defaultAPIRateLimit         = 10
	defaultAPIBurstLimit        = 20
)

// resizeStateTimeout is the Resize state's TimeoutSeconds in
// statemachine/definition.asl.json: the Lambda must give up before the state does.
const resizeStateTimeout = 300

// maxUploadURLExpiry is the longest life the upload URL function accepts.
const maxUploadURLExpiry = time.Hour

// maxImageURLExpiry is the longest life the images function accepts for the
// presigned GET URLs of its variants.
const maxImageURLExpiry = time.Hour

// metricsNamespace is the CloudWatch namespace of the metrics Lambda. It is not
// configurable because the Lambda's IAM condition pins it.
const metricsNamespace = "CustomS3"

// logRetentions are the values CloudWatch Logs accepts for retentionInDays.
var logRetentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
	1096, 1827, 2192, 2557, 2922, 3288, 3653}

// settings is the stack configuration, every value defaulted.
type settings struct {
	// buildDir holds <name>.zip for every Lambda, relative to pulumi/.
	buildDir string

	variants            string
	jpegQuality         int
	background          string
	maxPixels           int
	maxBytes            int
	allowedContentTypes string
	uploadURLExpiry     string
	imageURLExpiry      string
	corsOrigins         []string

	// metricsRate is a schedule rate ("5 minutes") or a whole EventBridge
	// expression ("rate(5 minutes)", "cron(...)").
	metricsRate          string
	logRetentionDays     int
	alarmEmail           string
	bucketSizeAlarmBytes float64

	resizeMemoryMB       int
	resizeTimeoutSeconds int
	lambdaTracing        bool
	stateMachineLogLevel string
	apiRateLimit         float64
	apiBurstLimit        int

	// errs collects every value that could not be read; deploy refuses to
	// run while it is not empty.
	errs []error
}

// configDefaults is every configuration key the program reads, with its
// default as `pulumi config set` would store it. Pulumi.dev.yaml.example at
// the repository root lists the same keys and values.
var configDefaults = map[string]string{
	"buildDir":             defaultBuildDir,
	"variants":             defaultVariants,
	"jpegQuality":          strconv.Itoa(defaultJPEGQuality),
	"background":           defaultBackground,
	"maxPixels":            strconv.Itoa(defaultMaxPixels),
	"maxBytes":             strconv.Itoa(defaultMaxBytes),
	"allowedContentTypes":  defaultContentTypes,
	"uploadUrlExpiry":      defaultUploadURLExpiry,
	"imageUrlExpiry":       defaultImageURLExpiry,
	"corsOrigins":          defaultCORSOrigins,
	"metricsRate":          defaultMetricsRate,
	"logRetentionDays":     strconv.Itoa(defaultLogRetentionDays),
	"alarmEmail":           "",
	"bucketSizeAlarmBytes": strconv.Itoa(defaultBucketSizeAlarmBytes),
	"resizeMemoryMb":       strconv.Itoa(defaultResizeMemoryMB),
	"resizeTimeoutSeconds": strconv.Itoa(defaultResizeTimeoutSeconds),
	"lambdaTracing":        "true",
	"stateMachineLogLevel": defaultStateMachineLogLevel,
	"apiRateLimit":         strconv.Itoa(defaultAPIRateLimit),
	"apiBurstLimit":        strconv.Itoa(defaultAPIBurstLimit),
}

// loadConfig reads the stack configuration of the imagepipe project.
func loadConfig(ctx *pulumi.Context) settings {
	c := config.New(ctx, "")
	s := settings{}
	str := func(key string) string {
		if v := strings.TrimSpace(c.Get(key)); v != "" {
			return v
		}
		return configDefaults[key]
	}
	num := func(key string) int {
		v := str(key)
		n, err := strconv.Atoi(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("config %s: %q is not an integer", key, v))
		}
		return n
	}
	boolean := func(key string) bool {
		v := str(key)
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("config %s: %q is not true or false", key, v))
		}
		return b
	}

	s.buildDir = str("buildDir")
	s.variants = str("variants")
	s.jpegQuality = num("jpegQuality")
	s.background = str("background")
	s.maxPixels = num("maxPixels")
	s.maxBytes = num("maxBytes")
	s.allowedContentTypes = str("allowedContentTypes")
	s.uploadURLExpiry = str("uploadUrlExpiry")
	s.imageURLExpiry = str("imageUrlExpiry")
	s.corsOrigins = splitList(str("corsOrigins"))
	s.metricsRate = str("metricsRate")
	s.logRetentionDays = num("logRetentionDays")
	s.alarmEmail = str("alarmEmail")
	s.bucketSizeAlarmBytes = float64(num("bucketSizeAlarmBytes"))
	s.resizeMemoryMB = num("resizeMemoryMb")
	s.resizeTimeoutSeconds = num("resizeTimeoutSeconds")
	s.lambdaTracing = boolean("lambdaTracing")
	s.stateMachineLogLevel = strings.ToUpper(str("stateMachineLogLevel"))
	s.apiRateLimit = float64(num("apiRateLimit"))
	s.apiBurstLimit = num("apiBurstLimit")
	return s
}

// validate reports every configuration value that AWS or the Lambdas would
// refuse, so that a typo fails `pulumi preview` rather than an upload.
func (s settings) validate() error {
	errs := slices.Clone(s.errs)
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("config %s: "+format, append([]any{key}, a...)...))
	}

	if _, err := imaging.ParseVariants(s.variants); err != nil {
		bad("variants", "%v", err)
	}
	if s.jpegQuality < 1 || s.jpegQuality > 100 {
		bad("jpegQuality", "%d is outside 1..100", s.jpegQuality)
	}
	if s.maxPixels < 1 {
		bad("maxPixels", "%d is not positive", s.maxPixels)
	}
	if s.maxBytes < 1 {
		bad("maxBytes", "%d is not positive", s.maxBytes)
	}
	if d, err := time.ParseDuration(s.uploadURLExpiry); err != nil || d <= 0 ||
		d > maxUploadURLExpiry {
		bad("uploadUrlExpiry", "%q is not a Go duration between 1s and 1h", s.uploadURLExpiry)
	}
	// The images function also refuses fractions of a second: S3 counts
	// X-Amz-Expires in whole seconds.
	if d, err := time.ParseDuration(s.imageURLExpiry); err != nil || d < time.Second ||
		d > maxImageURLExpiry || d%time.Second != 0 {
		bad("imageUrlExpiry", "%q is not a Go duration of whole seconds between 1s and 1h",
			s.imageURLExpiry)
	}
	if len(s.corsOrigins) == 0 {
		bad("corsOrigins", "no origin given")
	}
	if _, err := scheduleExpression(s.metricsRate); err != nil {
		bad("metricsRate", "%v", err)
	}
	if !slices.Contains(logRetentions, s.logRetentionDays) {
		bad("logRetentionDays", "%d is not one of %v", s.logRetentionDays, logRetentions)
	}
	if s.bucketSizeAlarmBytes <= 0 {
		bad("bucketSizeAlarmBytes", "%v is not positive", s.bucketSizeAlarmBytes)
	}
	if s.resizeMemoryMB < 128 || s.resizeMemoryMB > 10240 {
		bad("resizeMemoryMb", "%d is outside Lambda's 128..10240", s.resizeMemoryMB)
	}
	if s.resizeTimeoutSeconds < 1 || s.resizeTimeoutSeconds >= resizeStateTimeout {
		bad("resizeTimeoutSeconds", "%d must be below the Resize state's timeout of %d s",
			s.resizeTimeoutSeconds, resizeStateTimeout)
	}
	if !slices.Contains([]string{"ALL", "ERROR", "FATAL"}, s.stateMachineLogLevel) {
		bad("stateMachineLogLevel", "%q is not ALL, ERROR or FATAL", s.stateMachineLogLevel)
	}
	if s.apiRateLimit <= 0 || s.apiBurstLimit <= 0 {
		bad("apiRateLimit/apiBurstLimit", "both must be positive")
	}
	return errors.Join(errs...)
}

// scheduleExpression turns a rate such as "5 minutes" into "rate(5 minutes)";
// a whole rate(...) or cron(...) expression passes unchanged.
func scheduleExpression(rate string) (string, error) {
	if strings.HasPrefix(rate, "cron(") && strings.HasSuffix(rate, ")") {
		return rate, nil
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(rate, "rate("), ")")
	if _, err := rateSeconds(inner); err != nil {
		return "", err
	}
	return "rate(" + inner + ")", nil
}

// rateSeconds returns the period of a rate such as "1 minute" or "6 hours".
func rateSeconds(rate string) (int, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(rate), " ")
	count, err := strconv.Atoi(n)
	if !ok || err != nil || count < 1 {
		return 0, fmt.Errorf("%q is not \"<n> minute(s)|hour(s)|day(s)\"", rate)
	}
	units := map[string]int{"minute": 60, "hour": 3600, "day": 86400}
	singular := strings.TrimSuffix(unit, "s")
	secs, known := units[singular]
	if !known || (count == 1) != (unit == singular) {
		return 0, fmt.Errorf("%q: EventBridge wants \"1 %s\" or \"%d %ss\"", rate, singular,
			max(count, 2), singular)
	}
	return count * secs, nil
}

// splitList splits a comma-separated value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
