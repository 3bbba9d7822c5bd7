package uploadurl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/localstack/pipeline"
	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/steps/uploadurl"
)

// A user's upload, from the upload URL to the DONE item: the function's URL
// and headers, a plain net/http PUT of a real photo to the S3 emulator, and
// the pipeline that its S3 event starts.
func TestUploadFlowsThroughThePipelineToDone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	log := slog.New(slog.NewJSONHandler(t.Output(), nil))
	p, err := pipeline.Start(ctx, t, pipeline.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	cfg, err := uploadurl.LoadConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	aws, err := awsconfig.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, err := uploadurl.New(cfg, s3.NewPresignClient(awsconfig.S3(aws)), log)
	if err != nil {
		t.Fatal(err)
	}

	photo, err := os.ReadFile("../../shared/localstack/pipeline/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	req := fixture(t, "post-jwt.json")
	body, _ := json.Marshal(map[string]any{"contentType": "image/jpeg",
		"contentLength": len(photo)})
	req.Body, req.IsBase64Encoded = string(body), false
	resp, err := h.Handle(ctx, req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /uploads = %d %s, %v", resp.StatusCode, resp.Body, err)
	}
	var up uploadurl.Response
	if err := json.Unmarshal([]byte(resp.Body), &up); err != nil {
		t.Fatal(err)
	}

	put, _ := http.NewRequestWithContext(ctx, up.Method, up.UploadURL, bytes.NewReader(photo))
	for k, v := range up.Headers {
		put.Header.Set(k, v)
	}
	put.ContentLength = int64(len(photo))
	res, err := http.DefaultClient.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PUT = %d", res.StatusCode)
	}

	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	item, found, err := p.Store.Get(ctx, up.ImageID)
	if err != nil || !found {
		t.Fatalf("no item for %s: %v", up.ImageID, err)
	}
	if item.Status != stepio.StatusDone || item.OriginalS3Key != up.FilePath ||
		len(item.Variants) != 3 {
		t.Errorf("item %+v, want DONE from %s with three variants", item, up.FilePath)
	}
}

func fixture(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	return req
}
