// Package faults is a fault-injecting HTTP reverse proxy to put in front of an
// AWS emulator. A test tells it which operation to fail, how, and how often;
// the proxy then answers those requests itself with the error that the real
// service sends when it is unavailable or throttling, in that service's own
// wire format, so that the AWS SDK's retry logic treats it as it would treat
// the real thing. Every other request goes through to the emulator.
package faults

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Service names the AWS service behind a proxy; it decides how operations are
// named and how errors are written.
type Service string

// Services the proxy understands.
const (
	S3       Service = "s3"
	SQS      Service = "sqs"
	SNS      Service = "sns"
	DynamoDB Service = "dynamodb"
)

// Kind is the class of a fault.
type Kind int

// Kinds of faults.
const (
	// Unavailable answers 503 ServiceUnavailable, which the SDK retries.
	Unavailable Kind = iota
	// Throttle answers the service's throttling error: S3 503 SlowDown,
	// DynamoDB 400 ProvisionedThroughputExceededException, SNS 400 Throttling,
	// SQS 400 RequestThrottled. The SDK retries these with its longer
	// throttling backoff (a 1 s base).
	Throttle
)

// Fault is the answer a rule gives.
type Fault struct {
	Kind Kind
	// Code replaces the error code of Kind, such as "ThrottlingException".
	Code string
	// Status replaces the HTTP status of Kind.
	Status int
}

// AnyOperation matches every operation of the service.
const AnyOperation = "*"

// rule is one instruction: fail op, remaining more times (or until cleared).
type rule struct {
	op        string
	fault     Fault
	remaining int
	always    bool
}

// Proxy is an http.Handler that forwards to an emulator and fails the
// requests its rules match. It is safe for concurrent use.
type Proxy struct {
	service Service
	rp      *httputil.ReverseProxy
	log     *slog.Logger

	mu       sync.Mutex
	rules    []*rule
	failed   map[string]int
	requests map[string]int
}

// ErrService reports a service the proxy does not know.
var ErrService = errors.New("faults: unknown service")

// New returns a proxy for service that forwards to target, an emulator's base
// URL such as http://127.0.0.1:41234. log receives the proxy's own errors.
func New(service Service, target string, log *slog.Logger) (*Proxy, error) {
	switch service {
	case S3, SQS, SNS, DynamoDB:
	default:
		return nil, fmt.Errorf("%w: %q", ErrService, service)
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("faults: target: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	p := &Proxy{
		service:  service,
		log:      log,
		failed:   map[string]int{},
		requests: map[string]int{},
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			// Keep the client's Host: S3 answers with locations built from it.
			pr.Out.Host = pr.In.Host
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return p, nil
}

// FailNext makes the next n requests of op fail with f. op is an operation
// name such as "PutObject", "PutItem", "Publish" or "ReceiveMessage", or
// [AnyOperation]. Rules apply in the order they were added.
func (p *Proxy) FailNext(op string, n int, f Fault) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &rule{op: op, fault: f, remaining: n})
}

// FailUntilCleared makes every request of op fail with f until [Proxy.Clear].
func (p *Proxy) FailUntilCleared(op string, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &rule{op: op, fault: f, always: true})
}

// Clear removes every rule; the counters stay.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Reset removes every rule and zeroes the counters.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
	p.failed = map[string]int{}
	p.requests = map[string]int{}
}

// Failed returns how many requests of op the proxy failed; [AnyOperation]
// counts them all.
func (p *Proxy) Failed(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return count(p.failed, op)
}

// Requests returns how many requests of op reached the proxy, failed or not;
// [AnyOperation] counts them all.
func (p *Proxy) Requests(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return count(p.requests, op)
}

// Pending reports whether a rule has failures left to give.
func (p *Proxy) Pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.rules) > 0
}

func count(m map[string]int, op string) int {
	if op != AnyOperation {
		return m[op]
	}
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// ServeHTTP fails r if a rule matches it and forwards it otherwise.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := Operation(p.service, r)
	fault, fail := p.take(op)
	if !fail {
		p.rp.ServeHTTP(w, r)
		return
	}
	// Drain the request so that the client's connection can be reused.
	_, _ = io.Copy(io.Discard, r.Body)
	p.log.Info("fault injected", "service", string(p.service), "op", op,
		"kind", fault.Kind.String())
	writeFault(w, p.service, fault)
}

// take counts a request of op and returns the fault to answer it with.
func (p *Proxy) take(op string) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests[op]++
	for i, r := range p.rules {
		if r.op != op && r.op != AnyOperation {
			continue
		}
		if !r.always {
			r.remaining--
			if r.remaining == 0 {
				p.rules = append(p.rules[:i:i], p.rules[i+1:]...)
			}
		}
		p.failed[op]++
		return r.fault, true
	}
	return Fault{}, false
}

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Unavailable:
		return "Unavailable"
	case Throttle:
		return "Throttle"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Operation returns the name of the API operation r calls on service: from
// X-Amz-Target for the JSON protocols, from Action for the query protocol,
// and from the method, path and sub-resources for S3.
func Operation(service Service, r *http.Request) string {
	switch service {
	case SQS, DynamoDB:
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			_, op, _ := strings.Cut(target, ".")
			return op
		}
		return queryAction(r)
	case SNS:
		return queryAction(r)
	case S3:
		return s3Operation(r)
	}
	return ""
}

// queryAction reads Action from a query-protocol request, leaving its body
// readable for whoever comes next.
func queryAction(r *http.Request) string {
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if r.Body == nil || !strings.HasPrefix(r.Header.Get("Content-Type"),
		"application/x-www-form-urlencoded") {
		return ""
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return values.Get("Action")
}

// s3Operation names an S3 REST request with path-style addressing.
func s3Operation(r *http.Request) string {
	q := r.URL.Query()
	if id := q.Get("x-id"); id != "" {
		// The SDK names some operations itself.
		return id
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	copySource := r.Header.Get("X-Amz-Copy-Source") != ""
	switch {
	case bucket == "":
		return "ListBuckets"
	case key == "":
		return s3BucketOperation(r.Method, q)
	}
	switch r.Method {
	case http.MethodGet:
		if q.Has("uploadId") {
			return "ListParts"
		}
		return "GetObject"
	case http.MethodHead:
		return "HeadObject"
	case http.MethodPut:
		switch {
		case q.Has("uploadId") && copySource:
			return "UploadPartCopy"
		case q.Has("uploadId"):
			return "UploadPart"
		case q.Has("tagging"):
			return "PutObjectTagging"
		case copySource:
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodDelete:
		if q.Has("uploadId") {
			return "AbortMultipartUpload"
		}
		return "DeleteObject"
	case http.MethodPost:
		if q.Has("uploads") {
			return "CreateMultipartUpload"
		}
		if q.Has("uploadId") {
			return "CompleteMultipartUpload"
		}
	}
	return r.Method + "Object"
}

func s3BucketOperation(method string, q url.Values) string {
	switch method {
	case http.MethodGet:
		switch {
		case q.Has("location"):
			return "GetBucketLocation"
		case q.Has("versioning"):
			return "GetBucketVersioning"
		case q.Has("versions"):
			return "ListObjectVersions"
		case q.Has("uploads"):
			return "ListMultipartUploads"
		case q.Get("list-type") == "2":
			return "ListObjectsV2"
		}
		return "ListObjects"
	case http.MethodHead:
		return "HeadBucket"
	case http.MethodPut:
		if q.Has("versioning") {
			return "PutBucketVersioning"
		}
		return "CreateBucket"
	case http.MethodDelete:
		return "DeleteBucket"
	case http.MethodPost:
		if q.Has("delete") {
			return "DeleteObjects"
		}
		return "PostObject"
	}
	return method + "Bucket"
}

// wireError is a fault as one service writes it.
type wireError struct {
	status  int
	code    string
	message string
}

func resolve(service Service, f Fault) wireError {
	e := wireError{status: http.StatusServiceUnavailable, code: "ServiceUnavailable",
		message: "Service is unable to handle request."}
	if f.Kind == Throttle {
		switch service {
		case S3:
			e = wireError{http.StatusServiceUnavailable, "SlowDown",
				"Please reduce your request rate."}
		case DynamoDB:
			e = wireError{http.StatusBadRequest, "ProvisionedThroughputExceededException",
				"The level of configured provisioned throughput for the table was exceeded."}
		case SNS:
			e = wireError{http.StatusBadRequest, "Throttling", "Rate exceeded"}
		case SQS:
			e = wireError{http.StatusBadRequest, "RequestThrottled",
				"The request was denied due to request throttling."}
		}
	}
	if f.Code != "" {
		e.code = f.Code
	}
	if f.Status != 0 {
		e.status = f.Status
	}
	return e
}

// jsonNamespace is the shape namespace each JSON service puts in __type.
var jsonNamespace = map[Service]string{
	DynamoDB: "com.amazonaws.dynamodb.v20120810#",
	SQS:      "com.amazonaws.sqs#",
}

func writeFault(w http.ResponseWriter, service Service, f Fault) {
	e := resolve(service, f)
	id := newRequestID()
	switch service {
	case S3:
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("x-amz-request-id", id)
		w.WriteHeader(e.status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId>`+
			`<HostId>%s</HostId></Error>`, xmlText(e.code), xmlText(e.message), id, id)
	case SNS:
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", id)
		w.WriteHeader(e.status)
		fault := "Sender"
		if e.status >= 500 {
			fault = "Receiver"
		}
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">`+
			`<Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>`+
			`<RequestId>%s</RequestId></ErrorResponse>`,
			fault, xmlText(e.code), xmlText(e.message), id)
	case SQS, DynamoDB:
		code := e.code
		if !strings.Contains(code, "#") && !strings.Contains(code, ".") {
			code = jsonNamespace[service] + code
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("x-amzn-RequestId", id)
		if service == SQS {
			// SQS's JSON protocol keeps its query-protocol error codes in
			// this header; the SDK prefers it over __type when set.
			fault := "Sender"
			if e.status >= 500 {
				fault = "Receiver"
			}
			w.Header().Set("x-amzn-query-error", e.code+";"+fault)
		}
		w.WriteHeader(e.status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, e.message)
	}
}

func xmlText(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
