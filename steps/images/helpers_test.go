package images_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/truora/minidyn/server"

	"github.com/imagepipe/imagepipe/shared/metadata"
	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/steps/images"
)

const (
	testTable   = "imagepipe-images"
	testBucket  = "imagepipe-processed"
	testRegion  = "eu-west-1"
	fixtureSub  = "5f3a9c1e-8b2d-4e6f-a1c7-3d9e0b4f2a18"
	otherSub    = "9d8c7b6a-5f4e-4d3c-b2a1-0f9e8d7c6b5a"
	allowedSite = "https://app.example.com"
)

// emulators are S3 (gofakes3) and DynamoDB (minidyn) on loopback, with the
// processed bucket and the metadata table, and the SDK clients the handler
// is built with.
type emulators struct {
	s3URL string
	db    *dynamodb.Client
	s3    *s3.Client
}

func startEmulators(t *testing.T) *emulators {
	t.Helper()
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3srv.Close)
	dbsrv := httptest.NewServer(server.NewServer())
	t.Cleanup(dbsrv.Close)

	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "")
	e := &emulators{
		s3URL: s3srv.URL,
		db: dynamodb.New(dynamodb.Options{Region: testRegion, Credentials: creds,
			BaseEndpoint: aws.String(dbsrv.URL)}),
		s3: s3.New(s3.Options{Region: testRegion, Credentials: creds,
			BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true}),
	}
	ctx := context.Background()
	if _, err := e.db.CreateTable(ctx, metadata.CreateTableInput(testTable)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String(testBucket)}); err != nil {
		t.Fatal(err)
	}
	return e
}

// handler builds the handler over the emulators; cfg's bucket, and its table
// unless set, are filled in. Logs go to logs when it is not nil.
func (e *emulators) handler(t *testing.T, cfg images.Config, logs *bytes.Buffer) *images.Handler {
	t.Helper()
	if cfg.Table == "" {
		cfg.Table = testTable
	}
	cfg.ProcessedBucket = testBucket
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	h, err := images.New(cfg, e.db, s3.NewPresignClient(e.s3), logger)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// seeded is an image written to the emulators, with its variants' bytes.
type seeded struct {
	item  metadata.Item
	bytes map[string][]byte // variant name → object
}

// seed stores an image of user as the pipeline leaves it: the item (through
// PutItem: minidyn v0.8.2 mis-indexes items that UpdateItem creates, see
// shared/metadata's TestMinidynUpdateItemIndexBug) and, for DONE, each
// variant's object in the processed bucket.
func (e *emulators) seed(t *testing.T, user, id, status, lastModified string) seeded {
	t.Helper()
	it := metadata.Item{
		ImageID: id, UserID: user, OriginalS3Key: objectkey.OriginalKey(user, id, "jpg"),
		Status: status, Sequencer: "0000000000000000000A", Bytes: 348160,
		ExecutionArn: "arn:aws:states:eu-west-1:123456789012:execution:imagepipe:" + id,
		Attempts:     1, LastModified: lastModified,
	}
	s := seeded{bytes: map[string][]byte{}}
	if status == stepio.StatusFailed {
		it.Reason = "the file is text, not an image"
	} else {
		it.Width, it.Height, it.Format = 1800, 1012, "jpeg"
		it.ProcessedS3Key = objectkey.PrimaryKey(id)
		for i, v := range []struct {
			name string
			w, h int
		}{{"large", 1600, 900}, {"medium", 800, 450}, {"thumb", 200, 113}} {
			data := []byte("jpeg bytes of " + id + "/" + v.name)
			key := objectkey.VariantKey(id, v.name, i == 0)
			it.Variants = append(it.Variants, stepio.Variant{Name: v.name, Key: key,
				Width: v.w, Height: v.h, Bytes: int64(len(data)), ContentType: "image/jpeg"})
			if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String(testBucket), Key: aws.String(key),
				Body: bytes.NewReader(data), ContentType: aws.String("image/jpeg"),
			}); err != nil {
				t.Fatal(err)
			}
			s.bytes[v.name] = data
		}
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(testTable), Item: av}); err != nil {
		t.Fatal(err)
	}
	s.item = it
	return s
}

// loadEvent reads a payload 2.0 fixture. Unknown fields fail the test, so a
// fixture cannot drift from the shape aws-lambda-go decodes.
func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// as returns ev with the JWT subject sub.
func as(ev events.APIGatewayV2HTTPRequest, sub string) events.APIGatewayV2HTTPRequest {
	claims := map[string]string{}
	for k, v := range ev.RequestContext.Authorizer.JWT.Claims {
		claims[k] = v
	}
	claims["sub"] = sub
	jwt := *ev.RequestContext.Authorizer.JWT
	jwt.Claims = claims
	auth := *ev.RequestContext.Authorizer
	auth.JWT = &jwt
	ev.RequestContext.Authorizer = &auth
	return ev
}

// getEvent is the get.json fixture for imageID.
func getEvent(t *testing.T, imageID string) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, "get.json")
	ev.PathParameters = map[string]string{images.PathParameter: imageID}
	ev.RawPath = "/images/" + imageID
	ev.RequestContext.HTTP.Path = ev.RawPath
	return ev
}

// withQuery returns ev with the query parameters q, as API Gateway sets them.
func withQuery(ev events.APIGatewayV2HTTPRequest,
	q map[string]string) events.APIGatewayV2HTTPRequest {
	ev.QueryStringParameters = q
	ev.RawQueryString = ""
	for i, k := range slices.Sorted(maps.Keys(q)) {
		if i > 0 {
			ev.RawQueryString += "&"
		}
		ev.RawQueryString += k + "=" + q[k]
	}
	return ev
}

// handle runs one request and checks what every response carries.
func handle(t *testing.T, h *images.Handler,
	ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := resp.Headers["Cache-Control"]; got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	return resp
}

// decodeStrict decodes a response body into v, refusing unknown fields.
func decodeStrict(t *testing.T, body string, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
}

// refusal checks that resp is an error of status and code, with exactly the
// {"error": {"code", "message"}} body.
func refusal(t *testing.T, resp events.APIGatewayV2HTTPResponse, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, status, resp.Body)
	}
	var body map[string]map[string]string
	decodeStrict(t, resp.Body, &body)
	detail := body["error"]
	if len(body) != 1 || len(detail) != 2 || detail["message"] == "" {
		t.Errorf("body %s is not {\"error\":{\"code\",\"message\"}}", resp.Body)
	}
	if detail["code"] != code {
		t.Errorf("code = %q, want %q", detail["code"], code)
	}
}

// list decodes a 200 to GET /images.
func list(t *testing.T, resp events.APIGatewayV2HTTPResponse) images.List {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d, body %s", resp.StatusCode, resp.Body)
	}
	var l images.List
	decodeStrict(t, resp.Body, &l)
	return l
}

// readImage decodes a 200 to GET /images/{imageId}.
func readImage(t *testing.T, resp events.APIGatewayV2HTTPResponse) images.Image {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d, body %s", resp.StatusCode, resp.Body)
	}
	var img images.Image
	decodeStrict(t, resp.Body, &img)
	return img
}

func equal(a, b any) bool { return reflect.DeepEqual(a, b) }
