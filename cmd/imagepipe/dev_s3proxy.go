package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// s3Proxy is the S3 endpoint the browser talks to: presigned PUTs of
// originals and presigned GETs of renditions. It stands in front of the S3
// emulator and adds what the emulator lacks for a page on another origin,
// and what a clean shutdown needs:
//
//   - CORS for the page's origin only, preflights answered here (a bucket's
//     CORS configuration in AWS); the emulator's own "*" is replaced;
//   - a private bucket: only presigned requests, only GET and HEAD of
//     objects and PUT of originals under user-uploads/, and an expired URL
//     is refused, which the emulator does not check;
//   - the signature: a presigned URL is checked as S3 checks it
//     (presignVerifier), which the emulator does not do either, so a PUT
//     whose Content-Type or size differs from what was signed is refused;
//   - a drain gate: once the server stops, new writes get 503 and the
//     writes in flight are waited for, so that every PUT that got its 200
//     has its event in the queue before the queue is saved.
type s3Proxy struct {
	proxy     *httputil.ReverseProxy
	verifier  presignVerifier
	originals string
	processed string
	origins   []string
	log       *slog.Logger
	now       func() time.Time

	mu       sync.Mutex
	draining bool
	inFlight int
	writes   sync.WaitGroup
}

// newS3Proxy returns the proxy to the emulator at target, for URLs
// presigned with creds.
func newS3Proxy(target, originals, processed string, origins []string, creds aws.Credentials,
	log *slog.Logger) (*s3Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &s3Proxy{originals: originals, processed: processed, origins: origins, log: log,
		now: time.Now, verifier: presignVerifier{creds: creds}}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		ModifyResponse: func(resp *http.Response) error {
			for k := range resp.Header {
				if strings.HasPrefix(k, "Access-Control-") {
					resp.Header.Del(k)
				}
			}
			p.addCORS(resp.Header, resp.Request.Header.Get("Origin"))
			return nil
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return p, nil
}

func (p *s3Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		p.preflight(w, r, origin)
		return
	}

	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	write := r.Method == http.MethodPut
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		if key == "" || (bucket != p.originals && bucket != p.processed) {
			p.refuse(w, origin, http.StatusForbidden, "AccessDenied", "Access Denied")
			return
		}
	case write:
		if bucket != p.originals || !strings.HasPrefix(key, objectkey.UploadsPrefix) ||
			r.URL.Query().Has("uploadId") {
			p.refuse(w, origin, http.StatusForbidden, "AccessDenied", "Access Denied")
			return
		}
	default:
		p.refuse(w, origin, http.StatusMethodNotAllowed, "MethodNotAllowed",
			"The specified method is not allowed against this resource.")
		return
	}
	if code, msg := p.checkPresigned(r.URL.Query()); code != "" {
		p.refuse(w, origin, http.StatusForbidden, code, msg)
		return
	}
	if code, msg := p.verifier.verify(r); code != "" {
		p.log.Warn("s3: presigned request refused", "method", r.Method, "path", r.URL.Path,
			"code", code)
		p.refuse(w, origin, http.StatusForbidden, code, msg)
		return
	}

	if write {
		if !p.beginWrite() {
			p.refuse(w, origin, http.StatusServiceUnavailable, "ServiceUnavailable",
				"The local stack is shutting down; upload again after it restarts.")
			return
		}
		defer p.endWrite()
	}
	p.proxy.ServeHTTP(w, r)
}

// checkPresigned refuses requests that are not presigned, or whose URL has
// expired, with S3's error codes.
func (p *s3Proxy) checkPresigned(q url.Values) (code, msg string) {
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
		"X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if q.Get(name) == "" {
			return "AccessDenied", "Access Denied"
		}
	}
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	secs, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || err2 != nil || secs <= 0 {
		return "AuthorizationQueryParametersError",
			"X-Amz-Date and X-Amz-Expires must be a date and a positive number of seconds"
	}
	if p.now().After(signedAt.Add(time.Duration(secs) * time.Second)) {
		return "AccessDenied", "Request has expired"
	}
	return "", ""
}

// beginWrite admits a write unless the proxy is draining.
func (p *s3Proxy) beginWrite() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.draining {
		return false
	}
	p.inFlight++
	p.writes.Add(1)
	return true
}

func (p *s3Proxy) endWrite() {
	p.mu.Lock()
	p.inFlight--
	p.mu.Unlock()
	p.writes.Done()
}

// drain refuses new writes and waits for those in flight, or for ctx.
func (p *s3Proxy) drain(ctx context.Context) error {
	p.mu.Lock()
	p.draining = true
	idle := p.inFlight == 0
	p.mu.Unlock()
	if idle {
		return nil
	}
	done := make(chan struct{})
	go func() {
		p.writes.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("dev: uploads still in flight: %w", ctx.Err())
	}
}

// preflight answers a CORS preflight as S3 does for a bucket whose CORS
// configuration allows the page's origin: 200 with the allowed method and
// headers, or 403 for anything else.
func (p *s3Proxy) preflight(w http.ResponseWriter, r *http.Request, origin string) {
	method := r.Header.Get("Access-Control-Request-Method")
	if !p.originAllowed(origin) || !slices.Contains([]string{"GET", "HEAD", "PUT"}, method) {
		p.refuse(w, "", http.StatusForbidden, "AccessForbidden",
			"CORSResponse: This CORS request is not allowed.")
		return
	}
	h := w.Header()
	p.addCORS(h, origin)
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		// S3 echoes the requested headers that its AllowedHeaders match;
		// this bucket allows any, as the usual upload CORS rule does.
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusOK)
}

func (p *s3Proxy) originAllowed(origin string) bool {
	return origin != "" && slices.Contains(p.origins, origin)
}

func (p *s3Proxy) addCORS(h http.Header, origin string) {
	h.Add("Vary", "Origin")
	if p.originAllowed(origin) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "ETag")
	}
}

// refuse answers with S3's XML error body.
func (p *s3Proxy) refuse(w http.ResponseWriter, origin string, status int, code, msg string) {
	p.addCORS(w.Header(), origin)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"+
		"<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}
