// Package cloudwatch is a local stand-in for the metric API of Amazon
// CloudWatch, for tests and the local stack.
//
// It speaks the wire protocol of the current aws-sdk-go-v2 CloudWatch client,
// Smithy RPC v2 CBOR: every call is a POST to
// /service/GraniteServiceVersion20100801/operation/<Operation> with the
// headers Smithy-Protocol: rpc-v2-cbor and Content-Type: application/cbor,
// and a CBOR body that the SDK gzip-compresses once it reaches
// 10 KiB. A [Server] is an [http.Handler]; point the SDK at it with
// AWS_ENDPOINT_URL_CLOUDWATCH (or o.BaseEndpoint) and use the real client.
//
// PutMetricData is validated the way CloudWatch validates it (namespace,
// names, units, dimension count, finite values, timestamps, request limits),
// and a refused request is answered as CloudWatch answers it: a CBOR map with
// __type and message and the X-Amzn-Query-Error header, so the SDK returns
// the same typed error, such as *types.InvalidParameterValueException, with
// the same ErrorCode. Accepted data points are kept in memory and can be read
// back with ListMetrics and GetMetricData through the SDK, or with [Server.Points]
// and [Server.Latest] from Go.
//
// Not emulated: alarms, dashboards, metric math expressions, percentile
// statistics, anomaly detection, and the delay with which CloudWatch makes
// new data visible.
package cloudwatch

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// ServicePath is the path prefix of every operation: the Smithy shape name of
// the CloudWatch service.
const ServicePath = "/service/GraniteServiceVersion20100801/operation/"

// Request limits that CloudWatch enforces and the stand-in enforces too.
const (
	// MaxMetricsPerRequest is the most metric data a PutMetricData call may
	// carry, across MetricData and EntityMetricData.
	MaxMetricsPerRequest = 1000
	// MaxDimensions is the most dimensions one metric may have.
	MaxDimensions = 30
	// MaxValuesPerMetric is the most entries of Values (and Counts) in one datum.
	MaxValuesPerMetric = 150
	// MaxRequestBytes is the largest request body CloudWatch accepts, as sent.
	MaxRequestBytes = 1 << 20
	// MaxQueries is the most queries in one GetMetricData call.
	MaxQueries = 500
)

// maxDecodedBytes bounds a decompressed body, so that a small gzip bomb cannot
// exhaust the memory of a test process.
const maxDecodedBytes = 64 << 20

// maxPoints bounds how many data points a long-running local stack keeps; the
// oldest are dropped first.
const maxPoints = 1 << 20

// Dimension is one name/value pair of a metric's identity.
type Dimension struct {
	Name  string
	Value string
}

// Point is one accepted data point. A datum sent with Value has SampleCount 1
// and Sum, Minimum and Maximum equal to Value; one sent as StatisticValues or
// Values/Counts keeps the statistics it describes, and Value is their average.
type Point struct {
	Namespace  string
	MetricName string
	// Dimensions are sorted by name: CloudWatch identifies a metric by the set
	// of its dimensions, not by their order.
	Dimensions []Dimension
	// Timestamp is the datum's timestamp, or the time it was received when the
	// caller sent none.
	Timestamp         time.Time
	Value             float64
	SampleCount       float64
	Sum               float64
	Minimum           float64
	Maximum           float64
	Unit              string
	StorageResolution int
	// Received is when the stand-in accepted the request.
	Received time.Time
}

// Request describes one call the stand-in answered.
type Request struct {
	Operation string
	// Gzip reports whether the body came gzip-compressed.
	Gzip bool
	// BodyBytes is the size of the body as sent; DecodedBytes after
	// decompression.
	BodyBytes    int
	DecodedBytes int
	// Metrics is how many data points a PutMetricData call carried.
	Metrics int
	// ErrorType is the __type of the error answered, empty on success.
	ErrorType string
}

// Server is the stand-in. The zero value is not ready; use [New].
type Server struct {
	now func() time.Time

	mu       sync.Mutex
	points   []Point
	requests []Request
}

// New returns an empty stand-in.
func New() *Server {
	return &Server{now: time.Now}
}

// Points returns a copy of every accepted data point, in the order received.
func (s *Server) Points() []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Point, len(s.points))
	for i, p := range s.points {
		out[i] = p
		out[i].Dimensions = append([]Dimension(nil), p.Dimensions...)
	}
	return out
}

// Latest returns the data point of the metric named by namespace, metric and
// exactly the dimensions dims (in any order) with the newest timestamp, and
// whether there is one. Of points with equal timestamps the last received wins.
func (s *Server) Latest(namespace, metric string, dims ...Dimension) (Point, bool) {
	key := metricKey(namespace, metric, sortedDimensions(dims))
	s.mu.Lock()
	defer s.mu.Unlock()
	var latest Point
	found := false
	for _, p := range s.points {
		if metricKey(p.Namespace, p.MetricName, p.Dimensions) != key {
			continue
		}
		if !found || !p.Timestamp.Before(latest.Timestamp) {
			latest, found = p, true
		}
	}
	latest.Dimensions = append([]Dimension(nil), latest.Dimensions...)
	return latest, found
}

// Requests returns a copy of the log of calls answered, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Reset forgets every data point and request.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.points, s.requests = nil, nil
}

// operation handles one decoded request body and returns the response body.
type operation func(s *Server, req cbor.Map, rec *Request) (cbor.Map, error)

var operations = map[string]operation{
	"PutMetricData": (*Server).putMetricData,
	"ListMetrics":   (*Server).listMetrics,
	"GetMetricData": (*Server).getMetricData,
}

// ServeHTTP answers one Smithy RPC v2 CBOR request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := strings.CutPrefix(r.URL.Path, ServicePath)
	rec := Request{Operation: op}
	out, err := s.serve(r, op, &rec)
	if err != nil {
		var apiErr *apiError
		if !errors.As(err, &apiErr) {
			apiErr = &apiError{status: http.StatusInternalServerError,
				shape: "InternalServiceFault", queryCode: "InternalServiceError",
				message: err.Error()}
		}
		rec.ErrorType = apiErr.shape
		s.log(rec)
		apiErr.write(w)
		return
	}
	s.log(rec)
	writeCBOR(w, http.StatusOK, out)
}

func (s *Server) log(rec Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
}

func (s *Server) serve(r *http.Request, op string, rec *Request) (cbor.Map, error) {
	handle, known := operations[op]
	if !strings.HasPrefix(r.URL.Path, ServicePath) || !known {
		return nil, &apiError{status: http.StatusNotFound, shape: "UnknownOperationException",
			message: fmt.Sprintf("operation %q is not served by the CloudWatch stand-in",
				r.URL.Path)}
	}
	if r.Method != http.MethodPost {
		return nil, &apiError{status: http.StatusMethodNotAllowed,
			shape: "UnknownOperationException", message: "RPC v2 operations are POST only"}
	}
	if got := r.Header.Get("Smithy-Protocol"); got != "rpc-v2-cbor" {
		return nil, serializationError("header Smithy-Protocol is %q, want rpc-v2-cbor", got)
	}

	body, err := readBody(r, rec)
	if err != nil {
		return nil, err
	}

	req := cbor.Map{}
	if len(body) > 0 {
		if ct := r.Header.Get("Content-Type"); ct != "application/cbor" {
			return nil, &apiError{status: http.StatusUnsupportedMediaType,
				shape:   "UnsupportedMediaTypeException",
				message: fmt.Sprintf("Content-Type is %q, want application/cbor", ct)}
		}
		v, err := cbor.Decode(body)
		if err != nil {
			return nil, serializationError("the body is not CBOR: %v", err)
		}
		m, ok := v.(cbor.Map)
		if !ok {
			return nil, serializationError("the body is a %T, want a CBOR map", v)
		}
		req = m
	}
	return handle(s, req, rec)
}

// readBody reads the body as sent, enforcing the request size limit on it, and
// undoes a gzip Content-Encoding.
func readBody(r *http.Request, rec *Request) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil {
		return nil, serializationError("reading the body: %v", err)
	}
	rec.BodyBytes = len(raw)
	if len(raw) > MaxRequestBytes {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge,
			shape: "RequestEntityTooLarge", queryCode: "RequestEntityTooLarge",
			message: fmt.Sprintf("Request size exceeded %d bytes", MaxRequestBytes)}
	}

	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		rec.Gzip = true
		zr, err := gzip.NewReader(strings.NewReader(string(raw)))
		if err != nil {
			return nil, serializationError("the gzip body is corrupt: %v", err)
		}
		raw, err = io.ReadAll(io.LimitReader(zr, maxDecodedBytes+1))
		if err != nil {
			return nil, serializationError("the gzip body is corrupt: %v", err)
		}
		if len(raw) > maxDecodedBytes {
			return nil, serializationError("the decompressed body exceeds %d bytes",
				maxDecodedBytes)
		}
	default:
		return nil, serializationError("Content-Encoding %q is not supported, only gzip", enc)
	}
	rec.DecodedBytes = len(raw)
	return raw, nil
}

func writeCBOR(w http.ResponseWriter, status int, body cbor.Map) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(body))
}

// record stores accepted points, dropping the oldest beyond maxPoints.
func (s *Server) record(points []Point) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.points = append(s.points, points...)
	if extra := len(s.points) - maxPoints; extra > 0 {
		s.points = append([]Point(nil), s.points[extra:]...)
	}
}

func sortedDimensions(dims []Dimension) []Dimension {
	out := append([]Dimension(nil), dims...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// metricKey identifies a metric: namespace, name and the sorted dimension set.
// The separators are control characters, which no valid name contains.
func metricKey(namespace, metric string, sorted []Dimension) string {
	var b strings.Builder
	b.WriteString(namespace)
	b.WriteByte(0)
	b.WriteString(metric)
	for _, d := range sorted {
		b.WriteByte(1)
		b.WriteString(d.Name)
		b.WriteByte(2)
		b.WriteString(d.Value)
	}
	return b.String()
}
