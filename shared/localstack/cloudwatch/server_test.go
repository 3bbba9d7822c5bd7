package cloudwatch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/imagepipe/imagepipe/shared/localstack/cloudwatch"
)

// start serves a fresh stand-in on loopback and returns it with a real SDK
// client pointed at it.
func start(t *testing.T) (*cloudwatch.Server, *sdk.Client, string) {
	t.Helper()
	stand := cloudwatch.New()
	srv := httptest.NewServer(stand)
	t.Cleanup(srv.Close)
	// A bare aws.Config has a compression threshold of 0 bytes;
	// config.LoadDefaultConfig, which the Lambdas use, sets the SDK's 10 KiB.
	cfg := aws.Config{
		Region:                      "us-east-1",
		Credentials:                 credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		RequestMinCompressSizeBytes: 10 << 10,
	}
	client := sdk.NewFromConfig(cfg, func(o *sdk.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return stand, client, srv.URL
}

func dims(kv ...string) []types.Dimension {
	var out []types.Dimension
	for i := 0; i < len(kv); i += 2 {
		out = append(out, types.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func TestPutMetricDataSmallRequest(t *testing.T) {
	stand, client, _ := start(t)
	at := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Minute)

	_, err := client.PutMetricData(context.Background(), &sdk.PutMetricDataInput{
		Namespace: aws.String("CustomS3"),
		MetricData: []types.MetricDatum{{
			MetricName: aws.String("BucketSizeBytes"),
			Dimensions: dims("Prefix", "processed/", "BucketName", "b1"),
			Timestamp:  aws.Time(at),
			Value:      aws.Float64(123456789),
			Unit:       types.StandardUnitBytes,
		}, {
			MetricName: aws.String("NumberOfObjects"),
			Dimensions: dims("BucketName", "b1"),
			Timestamp:  aws.Time(at),
			Value:      aws.Float64(42),
			Unit:       types.StandardUnitCount,
		}},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}

	reqs := stand.Requests()
	if len(reqs) != 1 || reqs[0].Operation != "PutMetricData" || reqs[0].Gzip ||
		reqs[0].Metrics != 2 {
		t.Fatalf("requests = %+v, want one uncompressed PutMetricData of 2 metrics", reqs)
	}
	got, ok := stand.Latest("CustomS3", "BucketSizeBytes",
		cloudwatch.Dimension{Name: "BucketName", Value: "b1"},
		cloudwatch.Dimension{Name: "Prefix", Value: "processed/"})
	if !ok {
		t.Fatalf("no BucketSizeBytes point; points: %+v", stand.Points())
	}
	want := []cloudwatch.Dimension{{"BucketName", "b1"}, {"Prefix", "processed/"}}
	if got.Value != 123456789 || got.Unit != "Bytes" || !got.Timestamp.Equal(at) ||
		!slices.Equal(got.Dimensions, want) || got.StorageResolution != 60 {
		t.Errorf("point = %+v, want value 123456789 Bytes at %v with dims %v", got, at, want)
	}
	if _, ok := stand.Latest("CustomS3", "NumberOfObjects"); ok {
		t.Error("Latest matched a metric with other dimensions than asked")
	}
}

func TestPutMetricDataGzipRequest(t *testing.T) {
	stand, client, _ := start(t)
	var data []types.MetricDatum
	for i := range cloudwatch.MaxMetricsPerRequest {
		data = append(data, types.MetricDatum{
			MetricName: aws.String("NumberOfObjects"),
			Dimensions: dims("BucketName", "b1", "Prefix", fmt.Sprintf("p%04d/", i)),
			Value:      aws.Float64(float64(i)),
			Unit:       types.StandardUnitCount,
		})
	}
	_, err := client.PutMetricData(context.Background(), &sdk.PutMetricDataInput{
		Namespace: aws.String("CustomS3"), MetricData: data})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}

	reqs := stand.Requests()
	if len(reqs) != 1 || !reqs[0].Gzip || reqs[0].DecodedBytes <= 10<<10 ||
		reqs[0].BodyBytes >= reqs[0].DecodedBytes {
		t.Fatalf("requests = %+v, want one gzip body of more than 10 KiB decoded", reqs)
	}
	if n := len(stand.Points()); n != cloudwatch.MaxMetricsPerRequest {
		t.Fatalf("recorded %d points, want %d", n, cloudwatch.MaxMetricsPerRequest)
	}
	p, ok := stand.Latest("CustomS3", "NumberOfObjects",
		cloudwatch.Dimension{Name: "Prefix", Value: "p0999/"},
		cloudwatch.Dimension{Name: "BucketName", Value: "b1"})
	if !ok || p.Value != 999 || p.Unit != "Count" {
		t.Errorf("p0999/ point = %+v, %v; want 999 Count", p, ok)
	}
}

// isType reports whether err's chain holds a T.
func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestPutMetricDataRefusals(t *testing.T) {
	old := time.Now().Add(-15 * 24 * time.Hour)
	many := make([]types.MetricDatum, cloudwatch.MaxMetricsPerRequest+1)
	for i := range many {
		many[i] = types.MetricDatum{MetricName: aws.String("m"), Value: aws.Float64(1)}
	}
	var tooManyDims []types.Dimension
	for i := range cloudwatch.MaxDimensions + 1 {
		tooManyDims = append(tooManyDims, dims(fmt.Sprintf("d%d", i), "v")...)
	}
	one := func(d types.MetricDatum) []types.MetricDatum {
		if d.MetricName == nil {
			d.MetricName = aws.String("m")
		}
		return []types.MetricDatum{d}
	}

	tests := []struct {
		name      string
		namespace string
		data      []types.MetricDatum
		wantCode  string
		wantType  func(error) bool
	}{
		{"reserved namespace", "AWS/S3", one(types.MetricDatum{Value: aws.Float64(1)}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"unknown unit", "CustomS3",
			one(types.MetricDatum{Value: aws.Float64(1), Unit: "Furlongs"}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"31 dimensions", "CustomS3",
			one(types.MetricDatum{Value: aws.Float64(1), Dimensions: tooManyDims}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"duplicate dimension", "CustomS3",
			one(types.MetricDatum{Value: aws.Float64(1), Dimensions: dims("a", "1", "a", "2")}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"NaN", "CustomS3", one(types.MetricDatum{Value: aws.Float64(math.NaN())}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"infinity", "CustomS3", one(types.MetricDatum{Value: aws.Float64(math.Inf(1))}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"beyond 2^360", "CustomS3", one(types.MetricDatum{Value: aws.Float64(1e110)}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"blank metric name", "CustomS3",
			one(types.MetricDatum{MetricName: aws.String("  "), Value: aws.Float64(1)}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"older than two weeks", "CustomS3",
			one(types.MetricDatum{Value: aws.Float64(1), Timestamp: &old}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"storage resolution 5", "CustomS3",
			one(types.MetricDatum{Value: aws.Float64(1), StorageResolution: aws.Int32(5)}),
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"1001 metrics", "CustomS3", many,
			"InvalidParameterValue", isType[*types.InvalidParameterValueException]},
		{"value and statistics", "CustomS3", one(types.MetricDatum{Value: aws.Float64(1),
			StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(1),
				Sum: aws.Float64(1), Minimum: aws.Float64(1), Maximum: aws.Float64(1)}}),
			"InvalidParameterCombination", isType[*types.InvalidParameterCombinationException]},
		{"no value", "CustomS3", one(types.MetricDatum{}),
			"MissingParameter", isType[*types.MissingRequiredParameterException]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stand, client, _ := start(t)
			_, err := client.PutMetricData(context.Background(), &sdk.PutMetricDataInput{
				Namespace: aws.String(tt.namespace), MetricData: tt.data})

			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
				t.Fatalf("err = %v, want an API error with code %s", err, tt.wantCode)
			}
			if !tt.wantType(err) {
				t.Errorf("err is %T, not the SDK's modelled error type", apiErr)
			}
			if n := len(stand.Points()); n != 0 {
				t.Errorf("a refused request recorded %d points", n)
			}
		})
	}
}

// TestRawRequests covers what the SDK's own client-side checks never send.
func TestRawRequests(t *testing.T) {
	putBody := cbor.Encode(cbor.Map{"MetricData": cbor.List{cbor.Map{
		"MetricName": cbor.String("m"), "Value": cbor.Float64(1)}}})
	tests := []struct {
		name       string
		path       string
		protocol   string
		body       []byte
		wantStatus int
		wantType   string
	}{
		{"missing namespace", "PutMetricData", "rpc-v2-cbor", putBody,
			400, "com.amazonaws.cloudwatch#MissingRequiredParameterException"},
		{"no protocol header", "PutMetricData", "", putBody,
			400, "com.amazonaws.cloudwatch#SerializationException"},
		{"unknown operation", "DeleteAlarms", "rpc-v2-cbor", putBody,
			404, "com.amazonaws.cloudwatch#UnknownOperationException"},
		{"not CBOR", "PutMetricData", "rpc-v2-cbor", []byte{0xff, 0x00},
			400, "com.amazonaws.cloudwatch#SerializationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, url := start(t)
			req, err := http.NewRequest(http.MethodPost,
				url+cloudwatch.ServicePath+tt.path, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/cbor")
			if tt.protocol != "" {
				req.Header.Set("Smithy-Protocol", tt.protocol)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(resp.Body); err != nil {
				t.Fatal(err)
			}
			v, err := cbor.Decode(buf.Bytes())
			if err != nil {
				t.Fatalf("error body is not CBOR: %v", err)
			}
			m, _ := v.(cbor.Map)
			if resp.StatusCode != tt.wantStatus || m["__type"] != cbor.String(tt.wantType) {
				t.Errorf("got %d %v, want %d with __type %s", resp.StatusCode, m,
					tt.wantStatus, tt.wantType)
			}
			if _, ok := m["message"].(cbor.String); !ok {
				t.Errorf("error body %v has no message", m)
			}
		})
	}
}

func TestListMetricsAndGetMetricData(t *testing.T) {
	stand, client, _ := start(t)
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	for i, v := range []float64{10, 30, 20} {
		_, err := client.PutMetricData(ctx, &sdk.PutMetricDataInput{
			Namespace: aws.String("CustomS3"),
			MetricData: []types.MetricDatum{{
				MetricName: aws.String("NumberOfObjects"),
				Dimensions: dims("BucketName", "b1"),
				Timestamp:  aws.Time(base.Add(time.Duration(i) * time.Minute)),
				Value:      aws.Float64(v), Unit: types.StandardUnitCount,
			}, {
				MetricName: aws.String("NumberOfObjects"),
				Dimensions: dims("BucketName", "b2"),
				Timestamp:  aws.Time(base), Value: aws.Float64(1), Unit: types.StandardUnitCount,
			}},
		})
		if err != nil {
			t.Fatalf("PutMetricData: %v", err)
		}
	}
	if n := len(stand.Points()); n != 6 {
		t.Fatalf("%d points recorded, want 6", n)
	}

	list, err := client.ListMetrics(ctx, &sdk.ListMetricsInput{
		Namespace: aws.String("CustomS3"),
		Dimensions: []types.DimensionFilter{
			{Name: aws.String("BucketName"), Value: aws.String("b1")}},
	})
	if err != nil {
		t.Fatalf("ListMetrics: %v", err)
	}
	if len(list.Metrics) != 1 || aws.ToString(list.Metrics[0].MetricName) != "NumberOfObjects" ||
		aws.ToString(list.Metrics[0].Dimensions[0].Value) != "b1" {
		t.Errorf("ListMetrics = %+v, want the b1 NumberOfObjects metric only", list.Metrics)
	}

	query := func(id, stat string, period int32) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("CustomS3"),
				MetricName: aws.String("NumberOfObjects"), Dimensions: dims("BucketName", "b1")},
			Period: aws.Int32(period), Stat: aws.String(stat)}}
	}
	out, err := client.GetMetricData(ctx, &sdk.GetMetricDataInput{
		StartTime: aws.Time(base.Add(-time.Hour)), EndTime: aws.Time(base.Add(time.Hour)),
		MetricDataQueries: []types.MetricDataQuery{
			query("latest", "Maximum", 60), query("hourly", "Sum", 3600)},
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		got[aws.ToString(r.Id)] = r.Values
		if r.StatusCode != types.StatusCodeComplete {
			t.Errorf("%s: status %s", aws.ToString(r.Id), r.StatusCode)
		}
	}
	// Newest first, as CloudWatch answers by default.
	if !slices.Equal(got["latest"], []float64{20, 30, 10}) || !slices.Equal(got["hourly"],
		[]float64{60}) {
		t.Errorf("GetMetricData values = %v, want latest [20 30 10] and hourly [60]", got)
	}
	if ts := out.MetricDataResults[0].Timestamps; len(ts) != 3 || !ts[2].Equal(base) {
		t.Errorf("timestamps = %v, want 3 ending at %v", ts, base)
	}
}

func TestStandardUnitsMatchSDK(t *testing.T) {
	var sdkUnits []string
	for _, u := range types.StandardUnit("").Values() {
		sdkUnits = append(sdkUnits, string(u))
	}
	if !slices.Equal(cloudwatch.StandardUnits, sdkUnits) {
		t.Errorf("StandardUnits = %v, the SDK knows %v", cloudwatch.StandardUnits, sdkUnits)
	}
}
