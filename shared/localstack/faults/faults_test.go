package faults

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestOperationNames(t *testing.T) {
	form := func(action string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(
			url.Values{"Action": {action}, "Version": {"2010-03-31"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	target := func(v string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		r.Header.Set("X-Amz-Target", v)
		return r
	}
	s3req := func(method, target string, copySource bool) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		if copySource {
			r.Header.Set("X-Amz-Copy-Source", "b/src")
		}
		return r
	}
	cases := []struct {
		service Service
		req     *http.Request
		want    string
	}{
		{SNS, form("Publish"), "Publish"},
		{SQS, target("AmazonSQS.ReceiveMessage"), "ReceiveMessage"},
		{DynamoDB, target("DynamoDB_20120810.PutItem"), "PutItem"},
		{S3, s3req(http.MethodPut, "/b/k/x.jpg", false), "PutObject"},
		{S3, s3req(http.MethodPut, "/b/k/x.jpg?X-Amz-Signature=abc", false), "PutObject"},
		{S3, s3req(http.MethodPut, "/b/k", true), "CopyObject"},
		{S3, s3req(http.MethodGet, "/b/k?x-id=GetObject", false), "GetObject"},
		{S3, s3req(http.MethodHead, "/b/k", false), "HeadObject"},
		{S3, s3req(http.MethodDelete, "/b/k", false), "DeleteObject"},
		{S3, s3req(http.MethodPost, "/b/k?uploads", false), "CreateMultipartUpload"},
		{S3, s3req(http.MethodPut, "/b/k?partNumber=1&uploadId=u", false), "UploadPart"},
		{S3, s3req(http.MethodPost, "/b/k?uploadId=u", false), "CompleteMultipartUpload"},
		{S3, s3req(http.MethodGet, "/b?list-type=2", false), "ListObjectsV2"},
		{S3, s3req(http.MethodPost, "/b", false), "PostObject"},
		{S3, s3req(http.MethodPost, "/b?delete", false), "DeleteObjects"},
		{S3, s3req(http.MethodHead, "/b", false), "HeadBucket"},
		{S3, s3req(http.MethodGet, "/", false), "ListBuckets"},
	}
	for _, c := range cases {
		if got := Operation(c.service, c.req); got != c.want {
			t.Errorf("%s %s %s: %q, want %q", c.service, c.req.Method, c.req.URL, got, c.want)
		}
	}

	// Reading Action must leave the form for the emulator.
	r := form("Publish")
	Operation(SNS, r)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Version") != "2010-03-31" {
		t.Errorf("the body was consumed: %v %v", err, r.PostForm)
	}
}

// Rules fire in order, the given number of times, and are counted.
func TestRulesCountDown(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	defer upstream.Close()
	p, err := New(DynamoDB, upstream.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	do := func(op string) int {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		r.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
		p.ServeHTTP(w, r)
		return w.Code
	}
	p.FailNext("PutItem", 2, Fault{Kind: Throttle})
	p.FailNext(AnyOperation, 1, Fault{})
	got := []int{do("GetItem"), do("PutItem"), do("PutItem"), do("PutItem"), do("Query")}
	want := []int{503, 400, 400, 200, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	if p.Failed("PutItem") != 2 || p.Failed(AnyOperation) != 3 || p.Requests(AnyOperation) != 5 {
		t.Errorf("failed %d/%d of %d", p.Failed("PutItem"), p.Failed(AnyOperation),
			p.Requests(AnyOperation))
	}
	if _, err := New("lambda", upstream.URL, nil); err == nil {
		t.Error("an unknown service was accepted")
	}
}
