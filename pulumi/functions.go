package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// Names of the Lambdas: each is steps/<name>/lambda, built by `make build`
// into build/<name>.zip.
const (
	fetchStep         = "fetch"
	resizeStep        = "resize"
	persistStep       = "persist"
	notifyStep        = "notify"
	recordFailureStep = "recordfailure"
	uploadURLStep     = "uploadurl"
	metricsStep       = "metrics"
	imagesStep        = "images"
)

// steps lists every Lambda, in the order of the Makefile's LAMBDAS.
var steps = []string{fetchStep, resizeStep, persistStep, notifyStep, recordFailureStep,
	uploadURLStep, metricsStep, imagesStep}

// Lambda runtime settings shared by every function.
const (
	lambdaRuntime      = "provided.al2023"
	lambdaArchitecture = "arm64"
	lambdaHandler      = "bootstrap"
)

// functionSpec is what sets one Lambda apart from the others.
type functionSpec struct {
	step    string
	memory  int
	timeout int
	env     pulumi.StringMap
	grants  grants
	conds   conditions
	// dlqArn, when set, receives the events of asynchronous invocations that
	// failed every retry.
	dlqArn pulumi.StringInput
}

// function is one deployed Lambda with its log group and role.
type function struct {
	step     string
	name     string
	fn       *lambda.Function
	logGroup *cloudwatch.LogGroup
	role     serviceRole
}

// functions are the system's Lambdas.
type functions struct {
	fetch, resize, persist, notify, recordFailure, uploadURL, metrics, images *function
}

// all returns the functions in the order of [steps].
func (f functions) all() []*function {
	return []*function{f.fetch, f.resize, f.persist, f.notify, f.recordFailure, f.uploadURL,
		f.metrics, f.images}
}

// archives checks that `make build` has written every Lambda's zip and
// returns them by step. The zips pass to AWS byte for byte, so bootstrap
// keeps its executable bit.
func archives(buildDir string) (map[string]pulumi.Archive, error) {
	out := map[string]pulumi.Archive{}
	var missing []string
	for _, step := range steps {
		path := filepath.Join(buildDir, step+".zip")
		if info, err := os.Stat(path); err != nil || info.IsDir() {
			missing = append(missing, path)
			continue
		}
		out[step] = pulumi.NewFileArchive(path)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("imagepipe: no Lambda package at %s: run `make build` in the "+
			"repository root first (config buildDir is %q, relative to pulumi/)",
			strings.Join(missing, ", "), buildDir)
	}
	return out, nil
}

// newFunctions creates every Lambda of the system.
func newFunctions(ctx *pulumi.Context, cfg settings, prefix string, code map[string]pulumi.Archive,
	st *storage) (functions, error) {
	originals, processed := st.originals.bucket, st.processed.bucket
	itoa := func(n int) pulumi.String { return pulumi.String(strconv.Itoa(n)) }

	specs := map[string]functionSpec{
		fetchStep: {
			memory: 256, timeout: 25,
			env: pulumi.StringMap{
				"ORIGINALS_BUCKET": originals.Bucket,
				"MAX_BYTES":        itoa(cfg.maxBytes),
				"MAX_PIXELS":       itoa(cfg.maxPixels),
			},
			grants: grants{
				"s3:GetObject":  resources(under(originals.Arn, objectkey.UploadsPrefix)),
				"s3:ListBucket": resources(originals.Arn),
			},
		},
		resizeStep: {
			memory: cfg.resizeMemoryMB, timeout: cfg.resizeTimeoutSeconds,
			env: pulumi.StringMap{
				"PROCESSED_BUCKET": processed.Bucket,
				"VARIANTS":         pulumi.String(cfg.variants),
				"JPEG_QUALITY":     itoa(cfg.jpegQuality),
				"BACKGROUND":       pulumi.String(cfg.background),
				"MAX_PIXELS":       itoa(cfg.maxPixels),
			},
			grants: grants{
				"s3:GetObject": resources(under(originals.Arn, objectkey.UploadsPrefix)),
				"s3:PutObject": resources(under(processed.Arn, objectkey.ProcessedPrefix)),
			},
		},
		persistStep: {
			memory: 128, timeout: 20,
			env: pulumi.StringMap{"TABLE_NAME": st.table.Name},
			// metadata.Store.Write creates an item with a conditional PutItem
			// and changes it with a conditional UpdateItem.
			grants: grants{
				"dynamodb:PutItem":    resources(st.table.Arn),
				"dynamodb:UpdateItem": resources(st.table.Arn),
			},
		},
		notifyStep: {
			memory: 128, timeout: 20,
			env: pulumi.StringMap{"TOPIC_ARN": st.topic.Arn, "TABLE_NAME": st.table.Name},
			// metadata.Store claims and marks each announcement with a
			// conditional UpdateItem.
			grants: grants{
				"sns:Publish":         resources(st.topic.Arn),
				"dynamodb:UpdateItem": resources(st.table.Arn),
			},
		},
		recordFailureStep: {
			memory: 128, timeout: 30,
			env: pulumi.StringMap{"TABLE_NAME": st.table.Name, "TOPIC_ARN": st.topic.Arn},
			grants: grants{
				"dynamodb:GetItem":    resources(st.table.Arn),
				"dynamodb:PutItem":    resources(st.table.Arn),
				"dynamodb:UpdateItem": resources(st.table.Arn),
				"sns:Publish":         resources(st.topic.Arn),
				"sqs:SendMessage":     resources(st.failureDLQ.Arn),
			},
			dlqArn: st.failureDLQ.Arn,
		},
		uploadURLStep: {
			memory: 128, timeout: 10,
			env: pulumi.StringMap{
				"ORIGINALS_BUCKET":      originals.Bucket,
				"UPLOAD_URL_EXPIRY":     pulumi.String(cfg.uploadURLExpiry),
				"MAX_BYTES":             itoa(cfg.maxBytes),
				"ALLOWED_CONTENT_TYPES": pulumi.String(cfg.allowedContentTypes),
				"CORS_ORIGINS":          pulumi.String(strings.Join(cfg.corsOrigins, ",")),
			},
			// The presigned URL carries this role's signature: it can allow
			// no more than the role may do.
			grants: grants{
				"s3:PutObject": resources(under(originals.Arn, objectkey.UploadsPrefix)),
			},
		},
		metricsStep: {
			memory: 256, timeout: 300,
			env: pulumi.StringMap{
				"METRIC_BUCKETS":    pulumi.Sprintf("%s,%s", originals.Bucket, processed.Bucket),
				"METRICS_NAMESPACE": pulumi.String(metricsNamespace),
			},
			grants: grants{
				"s3:ListBucket":            resources(originals.Arn, processed.Arn),
				"cloudwatch:PutMetricData": resources(everything),
			},
			// PutMetricData has no resource-level permission; the namespace
			// condition is the narrowest grant AWS offers.
			conds: conditions{"cloudwatch:PutMetricData": {
				"StringEquals": {"cloudwatch:namespace": metricsNamespace},
			}},
		},
		imagesStep: {
			// One Query or GetItem and local signatures, like uploadurl: a
			// client waits on it, and 10 s is well inside the HTTP API's 30 s.
			memory: 128, timeout: 10,
			env: pulumi.StringMap{
				"TABLE_NAME":       st.table.Name,
				"PROCESSED_BUCKET": processed.Bucket,
				"IMAGE_URL_EXPIRY": pulumi.String(cfg.imageURLExpiry),
				"CORS_ORIGINS":     pulumi.String(strings.Join(cfg.corsOrigins, ",")),
			},
			// Read-only: lists go through the userId index, one image is a
			// GetItem; the variant URLs carry this role's signature, so it
			// may read the processed renditions and nothing else.
			grants: grants{
				"dynamodb:Query": resources(
					pulumi.Sprintf("%s/index/%s", st.table.Arn, metadata.UserIndex)),
				"dynamodb:GetItem": resources(st.table.Arn),
				"s3:GetObject":     resources(under(processed.Arn, objectkey.ProcessedPrefix)),
			},
		},
	}

	made := map[string]*function{}
	for _, step := range steps {
		spec := specs[step]
		spec.step = step
		f, err := newFunction(ctx, cfg, prefix, code[step], spec)
		if err != nil {
			return functions{}, err
		}
		made[step] = f
	}
	return functions{
		fetch: made[fetchStep], resize: made[resizeStep], persist: made[persistStep],
		notify: made[notifyStep], recordFailure: made[recordFailureStep],
		uploadURL: made[uploadURLStep], metrics: made[metricsStep], images: made[imagesStep],
	}, nil
}

// newFunction creates one Lambda, its log group and its role.
func newFunction(ctx *pulumi.Context, cfg settings, prefix string, code pulumi.Archive,
	spec functionSpec) (*function, error) {
	if code == nil {
		return nil, errors.New("imagepipe: no code for " + spec.step)
	}
	f := &function{step: spec.step, name: prefix + "-" + spec.step}
	var err error

	// Created before the function so that Lambda never makes one of its own
	// without a retention period.
	f.logGroup, err = cloudwatch.NewLogGroup(ctx, spec.step, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + f.name),
		RetentionInDays: pulumi.Int(cfg.logRetentionDays),
	})
	if err != nil {
		return nil, err
	}

	g := grants{}
	for action, res := range spec.grants {
		g[action] = res
	}
	g["logs:CreateLogStream"] = resources(pulumi.Sprintf("%s:*", f.logGroup.Arn))
	g["logs:PutLogEvents"] = resources(pulumi.Sprintf("%s:*", f.logGroup.Arn))
	tracing := "PassThrough"
	if cfg.lambdaTracing {
		// X-Ray has no resource-level permissions: "*" is all AWS accepts.
		g["xray:PutTraceSegments"] = resources(everything)
		g["xray:PutTelemetryRecords"] = resources(everything)
		tracing = "Active"
	}

	// The function's own role: exactly the actions its step needs.
	f.role, err = newServiceRole(ctx, spec.step, "lambda.amazonaws.com", g, spec.conds)
	if err != nil {
		return nil, err
	}

	args := &lambda.FunctionArgs{
		Name:          pulumi.String(f.name),
		Runtime:       pulumi.String(lambdaRuntime),
		Architectures: pulumi.ToStringArray([]string{lambdaArchitecture}),
		Handler:       pulumi.String(lambdaHandler),
		Code:          code,
		Role:          f.role.role.Arn,
		MemorySize:    pulumi.Int(spec.memory),
		Timeout:       pulumi.Int(spec.timeout),
		Environment:   &lambda.FunctionEnvironmentArgs{Variables: spec.env},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat:           pulumi.String("JSON"),
			LogGroup:            f.logGroup.Name,
			ApplicationLogLevel: pulumi.String("INFO"),
			// INFO keeps the platform's REPORT lines: duration and the
			// memory used, which is what resizeMemoryMb is tuned by.
			SystemLogLevel: pulumi.String("INFO"),
		},
		TracingConfig: &lambda.FunctionTracingConfigArgs{Mode: pulumi.String(tracing)},
	}
	if spec.dlqArn != nil {
		args.DeadLetterConfig = &lambda.FunctionDeadLetterConfigArgs{TargetArn: spec.dlqArn}
	}

	// The step itself; it waits for its policy so that its first invocation
	// can already write logs.
	f.fn, err = lambda.NewFunction(ctx, spec.step, args,
		pulumi.DependsOn([]pulumi.Resource{f.role.policy, f.logGroup}))
	if err != nil {
		return nil, err
	}
	return f, nil
}

// allowInvoke lets an AWS service invoke f from one source ARN only.
func allowInvoke(ctx *pulumi.Context, name string, f *function, principal string,
	sourceArn pulumi.StringInput) (*lambda.Permission, error) {
	// A resource policy statement on the function, scoped to its caller.
	return lambda.NewPermission(ctx, name, &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  f.fn.Name,
		Principal: pulumi.String(principal),
		SourceArn: sourceArn,
	})
}
