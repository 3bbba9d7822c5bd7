package images_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/steps/images"
)

// TestStoreFailures checks what a client gets when the table cannot be read:
// 503 with Retry-After for what may pass, 500 for what will not.
func TestStoreFailures(t *testing.T) {
	e := startEmulators(t)

	// A DynamoDB endpoint that refuses connections: a closed listener.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	unreachable := dynamodb.New(dynamodb.Options{Region: testRegion,
		BaseEndpoint:     aws.String(gone.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("k", "s", ""),
		RetryMaxAttempts: 1})
	down, err := images.New(images.Config{Table: testTable, ProcessedBucket: testBucket},
		unreachable, s3.NewPresignClient(e.s3), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	noTable := e.handler(t, images.Config{Table: "no-such-table"}, nil)

	cases := []struct {
		name   string
		h      *images.Handler
		event  func() ev2
		status int
		code   string
	}{
		{"list, DynamoDB unreachable", down, func() ev2 { return loadEvent(t, "list.json") },
			503, images.CodeServiceUnavailable},
		{"image, DynamoDB unreachable", down, func() ev2 { return getEvent(t, "img-1") },
			503, images.CodeServiceUnavailable},
		{"list, table missing", noTable, func() ev2 { return loadEvent(t, "list.json") },
			500, images.CodeInternal},
		{"image, table missing", noTable, func() ev2 { return getEvent(t, "img-1") },
			500, images.CodeInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := handle(t, c.h, c.event())
			refusal(t, resp, c.status, c.code)
			wantRetry := ""
			if c.status == 503 {
				wantRetry = "1"
			}
			if resp.Headers["Retry-After"] != wantRetry {
				t.Errorf("Retry-After = %q, want %q", resp.Headers["Retry-After"], wantRetry)
			}
		})
	}
}

// TestLogs checks that every request writes one JSON line with the user and
// image ids, and that no URL, cursor, token or other claim gets into one.
func TestLogs(t *testing.T) {
	e := startEmulators(t)
	e.seedMany(t, fixtureSub, 3, 0)
	e.seed(t, otherSub, "their-image", stepio.StatusDone, at(9))
	var logs bytes.Buffer
	h := e.handler(t, images.Config{}, &logs)

	first := handle(t, h, withQuery(loadEvent(t, "list.json"), map[string]string{"limit": "1"}))
	cursor := list(t, first).NextCursor
	if cursor == "" {
		t.Fatal("no cursor on the first page")
	}
	done := readImage(t, handle(t, h, getEvent(t, "5f3a9c1e-00")))
	secrets := []string{cursor, "X-Amz", "://", "Bearer", "eyJ", "ada.lovelace",
		"not-a-secret", "AKIDEXAMPLE"}
	for _, v := range done.Variants {
		secrets = append(secrets, v.URL)
	}

	requests := []struct {
		event ev2
		want  map[string]any // fields the line must have
	}{
		{withQuery(loadEvent(t, "list.json"), map[string]string{"cursor": cursor}),
			map[string]any{"msg": "images answered", "route": "list", "status": 200.0,
				"userId": fixtureSub, "images": 2.0, "more": false}},
		{getEvent(t, "5f3a9c1e-00"), map[string]any{"msg": "images answered",
			"route": "get", "status": 200.0, "userId": fixtureSub, "imageId": "5f3a9c1e-00",
			"imageStatus": "DONE"}},
		{getEvent(t, "their-image"), map[string]any{"msg": "images refused",
			"level": "WARN", "status": 404.0, "userId": fixtureSub, "imageId": "their-image",
			"code": "not_found", "exists": true}},
		{loadEvent(t, "list-no-authorizer.json"), map[string]any{"msg": "images refused",
			"status": 401.0, "code": "unauthorized", "apiRequestId": "Xk3pQgWJDoEEMsA="}},
	}
	for _, r := range requests {
		logs.Reset()
		handle(t, h, r.event)
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 1 {
			t.Fatalf("%d log lines for one request: %s", len(lines), logs.String())
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
			t.Fatalf("log line is not JSON: %s", lines[0])
		}
		for k, v := range r.want {
			if line[k] != v {
				t.Errorf("log %s = %v, want %v in %s", k, line[k], v, lines[0])
			}
		}
		for _, s := range secrets {
			if strings.Contains(lines[0], s) {
				t.Errorf("log line carries %q: %s", s, lines[0])
			}
		}
	}
}
