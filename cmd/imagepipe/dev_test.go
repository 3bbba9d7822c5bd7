package main

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"image/jpeg"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagepipe/imagepipe/shared/stepio"
)

// signJWT signs claims under header with key (RS256) or secret (HS256), for
// tokens the dev sign-in would never mint.
func signJWT(t *testing.T, header, claims map[string]any, key *rsa.PrivateKey,
	secret []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	signing := b64(h) + "." + b64(c)
	switch {
	case key != nil:
		sum := sha256.Sum256([]byte(signing))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return signing + "." + b64(sig)
	case secret != nil:
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(signing))
		return signing + "." + b64(mac.Sum(nil))
	}
	return signing + "."
}

// TestAuthorizer sends POST /uploads with tokens an HTTP API's JWT
// authorizer refuses, and checks each gets API Gateway's 401, and that the
// dev sign-in's token passes with the claims the upload function needs.
func TestAuthorizer(t *testing.T) {
	s := startTest(t, testConfig(t))
	a := s.auth
	now := time.Now()
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"sub": devSub("ada"), "iss": a.issuer, "aud": a.clientID,
			"token_use": "id", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	rs256 := map[string]any{"alg": "RS256", "typ": "JWT", "kid": a.kid}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := a.mint("ada")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		header string // the Authorization header; "" sends none
		want   int
	}{
		{"no header", "", 401},
		{"not bearer", "Basic " + good, 401},
		{"not a JWT", "Bearer not-a-token", 401},
		{"another key", "Bearer " + signJWT(t, rs256, claims(nil), otherKey, nil), 401},
		{"alg none", "Bearer " + signJWT(t, map[string]any{"alg": "none", "kid": a.kid},
			claims(nil), nil, nil), 401},
		{"HS256 with the public modulus", "Bearer " + signJWT(t,
			map[string]any{"alg": "HS256", "kid": a.kid}, claims(nil), nil,
			a.key.PublicKey.N.Bytes()), 401},
		{"wrong issuer", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"
		}), a.key, nil), 401},
		{"wrong audience", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["aud"] = "another-client"
		}), a.key, nil), 401},
		{"expired", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["exp"] = now.Add(-time.Minute).Unix()
		}), a.key, nil), 401},
		{"no expiry", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			delete(c, "exp")
		}), a.key, nil), 401},
		{"not valid yet", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["nbf"] = now.Add(time.Hour).Unix()
		}), a.key, nil), 401},
		{"tampered claims", "Bearer " + tamper(good), 401},
		{"access token with client_id", "Bearer " + signJWT(t, rs256,
			claims(func(c map[string]any) {
				delete(c, "aud")
				c["client_id"], c["token_use"] = a.clientID, "access"
			}), a.key, nil), 201},
		{"audience list", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["aud"] = []string{"x", a.clientID}
		}), a.key, nil), 201},
		{"dev sign-in token", "Bearer " + good, 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.URL+"/uploads",
				strings.NewReader(`{"contentType":"image/png","contentLength":10}`))
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tc.want, body)
			}
			if tc.want == 401 && body["message"] != "Unauthorized" {
				t.Errorf("body %v, want API Gateway's {\"message\":\"Unauthorized\"}", body)
			}
			if tc.want == 201 {
				// The key is under the token's sub: the claims reached the
				// function as API Gateway passes them.
				if fp, _ := body["file_path"].(string); !strings.Contains(fp,
					"/"+devSub("ada")+"/") {
					t.Errorf("file_path %q is not under the user's sub", fp)
				}
			}
		})
	}
}

// tamper changes the token's payload without re-signing it.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	c, _ := json.Marshal(map[string]any{"sub": devSub("mallory"), "exp": 1 << 40})
	return parts[0] + "." + b64(c) + "." + parts[2]
}

// TestSignInIsStable checks that a username always maps to the same user:
// the same sub in any letter case, a different one for another name.
func TestSignInIsStable(t *testing.T) {
	s := startTest(t, testConfig(t))
	a, b, other := signIn(t, s, "Ada"), signIn(t, s, "ada"), signIn(t, s, "grace")
	if a.sub != b.sub || a.sub == other.sub {
		t.Errorf("subs %s, %s, %s: want the first two equal and the third different",
			a.sub, b.sub, other.sub)
	}
	c := &client{t: t, base: s.URL}
	if status := c.do("POST", "/dev/token", map[string]string{"username": "a/b"},
		nil); status != http.StatusBadRequest {
		t.Errorf("username with a slash: %d, want 400", status)
	}
}

// TestUploadToDone goes the page's way: sign in, POST /uploads, a CORS
// preflight and the PUT to the browser's S3 endpoint, then GET /images until
// DONE, the thumbnail through its presigned URL, and the execution with its
// states; then "new execution with the same input" ends SUCCEEDED too.
func TestUploadToDone(t *testing.T) {
	s := startTest(t, testConfig(t))
	c := signIn(t, s, "ada")

	var up uploadResponse
	data := readSample(t, "photo.jpg")
	if st := c.do("POST", "/uploads", map[string]any{"contentType": "image/jpeg",
		"contentLength": len(data)}, &up); st != 201 {
		t.Fatalf("POST /uploads: %d", st)
	}
	if !strings.HasPrefix(up.UploadURL, s.S3URL+"/") {
		t.Fatalf("the upload URL is not on the browser's S3 endpoint %s", s.S3URL)
	}
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, up.UploadURL, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "PUT")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight(s.URL); resp.StatusCode != 200 ||
		resp.Header.Get("Access-Control-Allow-Origin") != s.URL ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PUT") ||
		resp.Header.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("preflight from the page: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example"); resp.StatusCode != 403 ||
		resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	if st := c.put(up, data); st != 200 {
		t.Fatalf("PUT: %d", st)
	}
	idle(t, s)

	img, st := c.image(up.ImageID)
	if st != 200 || img.Status != stepio.StatusDone || img.Original.Format != "jpeg" {
		t.Fatalf("GET /images/%s: %d %+v", up.ImageID, st, img)
	}
	i := slices.IndexFunc(img.Variants, func(v variant) bool { return v.Name == "thumb" })
	if i < 0 {
		t.Fatalf("no thumb variant: %+v", img.Variants)
	}
	thumb := img.Variants[i]
	status, h, body := get(t, thumb.URL, "Origin", s.URL)
	if status != 200 || h.Get("Access-Control-Allow-Origin") != s.URL {
		t.Fatalf("thumbnail: %d %v", status, h)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width > 200 {
		t.Errorf("thumbnail is not a JPEG of at most 200 px: %+v %v", cfg, err)
	}

	var list struct {
		Images []image `json:"images"`
	}
	if c.do("GET", "/images", nil, &list); len(list.Images) != 1 ||
		list.Images[0].ImageID != up.ImageID {
		t.Errorf("GET /images: %+v", list.Images)
	}
	if _, st := signIn(t, s, "grace").image(up.ImageID); st != 404 {
		t.Errorf("another user's GET /images/%s: %d, want 404", up.ImageID, st)
	}

	x := c.execution(c.executionOf(up.ImageID).Name)
	var names []string
	for _, st := range x.States {
		names = append(names, st.Name+":"+st.Status)
	}
	want := []string{"Receive:SUCCEEDED", "Fetch:SUCCEEDED", "Resize:SUCCEEDED",
		"Persist:SUCCEEDED", "Notify:SUCCEEDED"}
	if x.Execution.Status != "SUCCEEDED" || !slices.Equal(names, want) {
		t.Errorf("execution %s %v, want SUCCEEDED %v", x.Execution.Status, names, want)
	}
	if x.States[1].Input == nil || x.States[1].Output == nil || len(x.States[1].Attempts) != 1 {
		t.Errorf("Fetch has no input, output or attempt: %+v", x.States[1])
	}

	if st := c.do("POST", "/dev/executions/"+x.Execution.Name+"/redrive", nil,
		nil); st != http.StatusConflict {
		t.Errorf("redrive of a SUCCEEDED execution: %d, want 409", st)
	}
	var again struct {
		Execution execView `json:"execution"`
	}
	if st := c.do("POST", "/dev/executions/"+x.Execution.Name+"/restart", nil,
		&again); st != http.StatusCreated || again.Execution.Name == x.Execution.Name {
		t.Fatalf("restart: %d %+v", st, again)
	}
	idle(t, s)
	if x2 := c.execution(again.Execution.Name); x2.Execution.Status != "SUCCEEDED" {
		t.Errorf("the new execution ended %s", x2.Execution.Status)
	}
	if img, _ := c.image(up.ImageID); img.Status != stepio.StatusDone {
		t.Errorf("after the new execution the image is %s", img.Status)
	}
}

// TestNotAnImageFails uploads text declared as image/jpeg: the upload API
// accepts the type, fetch sniffs the bytes and rejects it, and the page sees
// FAILED with the reason and an execution that failed in the rejection
// branch.
func TestNotAnImageFails(t *testing.T) {
	s := startTest(t, testConfig(t))
	c := signIn(t, s, "ada")
	id := c.upload(readSample(t, "README.md"), "image/jpeg")
	idle(t, s)

	img, st := c.image(id)
	if st != 200 || img.Status != stepio.StatusFailed || img.Reason == "" ||
		len(img.Variants) != 0 {
		t.Fatalf("GET /images/%s: %d %+v", id, st, img)
	}
	x := c.execution(c.executionOf(id).Name)
	if x.Execution.Status != "FAILED" || x.Execution.Error != "ImageRejected" {
		t.Errorf("execution %s %s, want FAILED ImageRejected", x.Execution.Status,
			x.Execution.Error)
	}
	byName := map[string]stateView{}
	for _, st := range x.States {
		byName[st.Name] = st
	}
	if f := byName["Fetch"]; f.Status != stateCaught || f.Error != "ImageRejected" {
		t.Errorf("Fetch %s %s, want CAUGHT ImageRejected", f.Status, f.Error)
	}
	if r := byName["Rejected"]; r.Status != stateFailed || r.Error != "ImageRejected" {
		t.Errorf("Rejected %s %s, want FAILED ImageRejected", r.Status, r.Error)
	}
}

// TestS3EndpointPolicy checks the browser's S3 endpoint refuses what a
// private bucket refuses — unsigned, expired, edited or re-targeted URLs —
// and, once draining, any new upload, which then leaves neither an object
// nor an event behind.
func TestS3EndpointPolicy(t *testing.T) {
	s := startTest(t, testConfig(t))
	c := signIn(t, s, "ada")
	data := smallJPEG(t, 1)
	var up uploadResponse
	c.do("POST", "/uploads", map[string]any{"contentType": "image/jpeg",
		"contentLength": len(data)}, &up)
	u, _ := url.Parse(up.UploadURL)

	unsigned := *u
	unsigned.RawQuery = ""
	expired := *u
	q := expired.Query()
	q.Set("X-Amz-Date", time.Now().Add(-time.Hour).UTC().Format("20060102T150405Z"))
	expired.RawQuery = q.Encode()
	processed := *u
	processed.Path = "/" + s.p.Stack.ProcessedBucket + "/processed/x.jpg"
	otherKey := *u
	otherKey.Path = strings.TrimSuffix(u.Path, ".jpg") + "x.jpg"
	png := maps.Clone(up.Headers)
	png["Content-Type"] = "image/png"

	for _, tc := range []struct {
		name, url string
		headers   map[string]string
		want      int
	}{
		{"not presigned", unsigned.String(), up.Headers, 403},
		{"expired", expired.String(), up.Headers, 403},
		{"into the processed bucket", processed.String(), up.Headers, 403},
		{"under another key", otherKey.String(), up.Headers, 403},
		{"with another Content-Type than signed", up.UploadURL, png, 403},
	} {
		if st := c.put(uploadResponse{UploadURL: tc.url, Headers: tc.headers},
			data); st != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, st, tc.want)
		}
	}

	if err := s.s3p.drain(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if st := c.put(up, data); st != http.StatusServiceUnavailable {
		t.Errorf("PUT while draining: %d, want 503", st)
	}
	idle(t, s)
	key := strings.TrimPrefix(u.Path, "/"+s.p.Stack.OriginalsBucket+"/")
	if _, err := s.p.Stack.Backend().HeadObject(s.p.Stack.OriginalsBucket, key); err == nil {
		t.Errorf("a refused upload left %s behind", key)
	}
	if st := s.p.Pipe.Stats(); st.Received != 0 {
		t.Errorf("refused uploads sent %d events", st.Received)
	}
}

// TestMetricsFigures puts an image through and asks for a metrics run, as
// the page's "Measure now" does: the figures are the buckets' real counts.
func TestMetricsFigures(t *testing.T) {
	s := startTest(t, testConfig(t))
	c := signIn(t, s, "ada")
	c.upload(readSample(t, "dune.png"), "image/png")
	idle(t, s)

	var m struct {
		Figures []figure `json:"figures"`
	}
	if st := c.do("POST", "/dev/metrics/run", nil, &m); st != 200 {
		t.Fatalf("POST /dev/metrics/run: %d", st)
	}
	got := map[string]float64{}
	for _, f := range m.Figures {
		got[f.Bucket+"|"+f.Prefix+"|"+f.Metric] = f.Value
	}
	want := map[string]float64{
		s.p.Stack.OriginalsBucket + "||NumberOfObjects":              1,
		s.p.Stack.OriginalsBucket + "|user-uploads/|NumberOfObjects": 1,
		s.p.Stack.ProcessedBucket + "|processed/|NumberOfObjects":    3,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

// TestRefusesRemoteAddress checks that the dev stack, which signs anyone
// in, does not listen beyond loopback unless asked to.
func TestRefusesRemoteAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8080"} {
		if l, err := listen(addr, false); err == nil {
			l.Close()
			t.Errorf("listen(%q) without --allow-remote succeeded", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		l, err := listen(addr, false)
		if err != nil {
			if addr == "[::1]:0" {
				continue // a machine without IPv6
			}
			t.Errorf("listen(%q): %v", addr, err)
			continue
		}
		l.Close()
	}
}

// TestHelpExplainsEveryFlag checks -help names and explains each flag.
func TestHelpExplainsEveryFlag(t *testing.T) {
	var out, errs bytes.Buffer
	if code := runDev([]string{"-help"}, &out, &errs); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	for _, f := range []string{"-addr", "-s3-addr", "-allow-remote", "-data-dir",
		"-in-memory", "-metrics-every", "-variants", "-shutdown-timeout", "-log-level"} {
		if !strings.Contains(errs.String(), "  "+f) {
			t.Errorf("-help does not explain %s:\n%s", f, errs.String())
		}
	}
}

// The dev server answers the Step Functions API on its own address, so
// `imagepipe replay` works against the local stack with AWS_ENDPOINT_URL_SFN.
func TestDevServesTheStepFunctionsAPI(t *testing.T) {
	s := startTest(t, testConfig(t))
	c := signIn(t, s, "ada")
	c.upload([]byte("not an image at all\n"), "image/jpeg")
	idle(t, s)

	t.Setenv("AWS_ENDPOINT_URL_SFN", s.URL)
	var out, errOut bytes.Buffer
	code := runReplay([]string{"--state-machine-arn", s.p.Machine.ARN(),
		"--include-rejected", "--output", "json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("replay exited %d: %s", code, errOut.String())
	}
	var report replayReport
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	if len(report.Executions) != 1 || report.Executions[0].Error != "ImageRejected" ||
		report.Executions[0].Action != "start" || !report.DryRun {
		t.Errorf("report %s, want the rejected execution listed for a new start", out.String())
	}
}
