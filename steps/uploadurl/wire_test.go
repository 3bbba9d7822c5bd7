package uploadurl

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/imagepipe/imagepipe/shared/awsconfig"
	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// testPhoto encodes a 1024×768 JPEG of gradients and grain: enough detail
// to weigh a few hundred KB, like a small photo, and the same on every run.
func testPhoto(t *testing.T) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 2))
	img := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	for y := range 768 {
		for x := range 1024 {
			grain := rng.IntN(48)
			img.Set(x, y, color.RGBA{
				R: uint8(x/4 + grain), G: uint8(y/3 + grain), B: uint8((x+y)/7 + grain), A: 255,
			})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUploadOverTheWire builds the handler the way lambda/main.go does (the
// environment, shared/awsconfig, the SDK's presign client) against gofakes3
// on loopback, then uploads a JPEG with plain net/http using only what the
// 201 said. gofakes3 checks no signature, so TestHandle asserts those.
func TestUploadOverTheWire(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)

	// Only the SDK's standard variables: the same code path as in Lambda.
	// The shared files point nowhere so a developer's ~/.aws cannot leak in.
	missing := filepath.Join(t.TempDir(), "absent")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3":         srv.URL,
		"AWS_ENDPOINT_URL":            "",
		"AWS_REGION":                  "eu-west-1",
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "not-a-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             missing,
		"AWS_SHARED_CREDENTIALS_FILE": missing,
		"AWS_EC2_METADATA_DISABLED":   "true",
		EnvBucket:                     testBucket,
		EnvExpiry:                     "",
		EnvMaxBytes:                   "",
		EnvAllowedContentTypes:        "",
		EnvCORSOrigins:                "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()

	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := awsconfig.S3(awsCfg)
	h, err := New(cfg, s3.NewPresignClient(client), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String(testBucket),
	}); err != nil {
		t.Fatal(err)
	}

	photo := testPhoto(t)
	if len(photo) < 200<<10 {
		t.Fatalf("the test photo is only %d bytes", len(photo))
	}
	ev := loadEvent(t, "post-jwt.json")
	ev.Body = `{"contentType":"image/jpeg","contentLength":` + strconv.Itoa(len(photo)) + `}`
	out := issued(t, handle(t, h, ev), fixtureSub, "image/jpeg", int64(len(photo)),
		DefaultExpiry)

	// The client's side: the method, URL and headers from the 201, nothing else.
	put, err := http.NewRequestWithContext(ctx, out.Method, out.UploadURL,
		bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range out.Headers {
		put.Header.Set(k, v)
	}
	// net/http takes the length from the field, not the header map.
	put.ContentLength, err = strconv.ParseInt(out.Headers["Content-Length"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT status = %d, want 200", resp.StatusCode)
	}

	got, err := client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(testBucket), Key: aws.String(out.FilePath),
	})
	if err != nil {
		t.Fatalf("the object is not at file_path %s: %v", out.FilePath, err)
	}
	defer got.Body.Close()
	stored, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.ContentType) != "image/jpeg" {
		t.Errorf("stored Content-Type = %q, want image/jpeg", aws.ToString(got.ContentType))
	}
	if !bytes.Equal(stored, photo) {
		t.Errorf("stored %d bytes differ from the %d uploaded", len(stored), len(photo))
	}
	if c, format, err := image.DecodeConfig(bytes.NewReader(stored)); err != nil ||
		format != "jpeg" || c.Width != 1024 || c.Height != 768 {
		t.Errorf("stored object decodes as %s %dx%d (%v)", format, c.Width, c.Height, err)
	}

	// Nothing else was written: the user's folder holds exactly this key.
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(testBucket), Prefix: aws.String(objectkey.UploadsPrefix),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != out.FilePath {
		t.Errorf("bucket holds %d objects, want only %s", len(list.Contents), out.FilePath)
	}
}
