package main

import (
	"bytes"
	"context"
	"encoding/json"
	stdimage "image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"
)

// samples are the pipeline's sample photos.
const samples = "../../shared/localstack/pipeline/testdata/"

// testConfig is a devConfig for tests: loopback, free ports, in memory,
// retries without waiting, logs in the test's output.
func testConfig(t testing.TB) devConfig {
	return devConfig{
		Addr: "127.0.0.1:0", S3Addr: "127.0.0.1:0", ShutdownTimeout: time.Minute,
		Logger: slog.New(slog.NewJSONHandler(t.Output(), nil)),
	}
}

// startTest starts a dev server that the test's end shuts down.
func startTest(t testing.TB, cfg devConfig) *devServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := startDev(ctx, t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

// testCtx is the deadline of a test's waits: no assertion is timed, but a
// hang should end the test with a message rather than the binary's timeout.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// client is a signed-in user of the page's API.
type client struct {
	t     testing.TB
	base  string
	token string
	sub   string
}

func signIn(t testing.TB, s *devServer, username string) *client {
	t.Helper()
	var out struct {
		Token string `json:"id_token"`
		Sub   string `json:"sub"`
	}
	c := &client{t: t, base: s.URL}
	if status := c.do("POST", "/dev/token", map[string]string{"username": username},
		&out); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}
	c.token, c.sub = out.Token, out.Sub
	return c
}

// do sends a JSON request and decodes a JSON answer into out, returning
// the status.
func (c *client) do(method, path string, body, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// uploadResponse is the upload API's 201.
type uploadResponse struct {
	UploadURL string            `json:"upload_url"`
	ImageID   string            `json:"image_id"`
	Headers   map[string]string `json:"headers"`
}

// upload does what the page does: POST /uploads, then the presigned PUT
// from the page's origin. It returns the image id once S3 answered 200.
func (c *client) upload(data []byte, contentType string) string {
	c.t.Helper()
	var up uploadResponse
	if status := c.do("POST", "/uploads", map[string]any{
		"contentType": contentType, "contentLength": len(data)}, &up); status != 201 {
		c.t.Fatalf("POST /uploads: %d", status)
	}
	if status := c.put(up, data); status != http.StatusOK {
		c.t.Fatalf("PUT to the presigned URL: %d", status)
	}
	return up.ImageID
}

func (c *client) put(up uploadResponse, data []byte) int {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPut, up.UploadURL, bytes.NewReader(data))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Origin", c.base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// image is GET /images/{id}'s answer.
type image struct {
	ImageID  string `json:"imageId"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Original struct {
		Format string `json:"format"`
	} `json:"original"`
	Variants []variant `json:"variants"`
}

type variant struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

func (c *client) image(id string) (image, int) {
	c.t.Helper()
	var img image
	status := c.do("GET", "/images/"+id, nil, &img)
	return img, status
}

// execution is GET /dev/executions/{name}'s answer.
type execution struct {
	Execution execView    `json:"execution"`
	States    []stateView `json:"states"`
}

func (c *client) executionOf(imageID string) execView {
	c.t.Helper()
	var list struct {
		Executions []execView `json:"executions"`
	}
	c.do("GET", "/dev/executions?imageId="+imageID, nil, &list)
	if len(list.Executions) == 0 {
		c.t.Fatalf("no execution of image %s", imageID)
	}
	return list.Executions[0]
}

func (c *client) execution(name string) execution {
	c.t.Helper()
	var x execution
	if status := c.do("GET", "/dev/executions/"+name, nil, &x); status != http.StatusOK {
		c.t.Fatalf("GET execution %s: %d", name, status)
	}
	return x
}

// idle waits until the pipeline has nothing left to do.
func idle(t testing.TB, s *devServer) {
	t.Helper()
	if err := s.p.WaitIdle(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(samples + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// smallJPEG is an image small enough that a thousand of them go through
// the pipeline quickly; n varies its pixels so no two are alike.
func smallJPEG(t testing.TB, n int) []byte {
	t.Helper()
	img := stdimage.NewRGBA(stdimage.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), uint8(n), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// get fetches url and returns its status and body.
func get(t testing.TB, url string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}
