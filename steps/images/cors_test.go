package images_test

import (
	"net/http"
	"testing"

	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/steps/images"
)

// TestCORS checks what a browser on each kind of origin gets: the preflight
// needs no token, and only configured origins get CORS headers.
func TestCORS(t *testing.T) {
	e := startEmulators(t)
	e.seed(t, fixtureSub, "done-1", stepio.StatusDone, at(0))
	cases := []struct {
		name    string
		origins []string
		event   func() ev2
		status  int
		want    map[string]string // headers; "" means absent
	}{
		{"preflight from an allowed origin", []string{allowedSite},
			func() ev2 { return loadEvent(t, "options-preflight.json") }, http.StatusNoContent,
			map[string]string{
				"Access-Control-Allow-Origin":  allowedSite,
				"Access-Control-Allow-Methods": "GET, OPTIONS",
				"Access-Control-Allow-Headers": "Authorization",
				"Access-Control-Max-Age":       "600",
				"Vary":                         "Origin",
			}},
		{"preflight from another origin", []string{"https://other.example.com"},
			func() ev2 { return loadEvent(t, "options-preflight.json") }, http.StatusNoContent,
			map[string]string{
				"Access-Control-Allow-Origin":  "",
				"Access-Control-Allow-Methods": "",
				"Vary":                         "Origin",
			}},
		{"preflight without CORS configured", nil,
			func() ev2 { return loadEvent(t, "options-preflight.json") }, http.StatusNoContent,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": ""}},
		{"list from an allowed origin", []string{allowedSite},
			func() ev2 { return loadEvent(t, "list.json") }, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": allowedSite, "Vary": "Origin"}},
		{"image with any origin allowed", []string{"*"},
			func() ev2 { return getEvent(t, "done-1") }, http.StatusOK,
			map[string]string{"Access-Control-Allow-Origin": "*", "Vary": ""}},
		{"refusal from an allowed origin", []string{allowedSite},
			func() ev2 { return loadEvent(t, "list-no-authorizer.json") },
			http.StatusUnauthorized,
			map[string]string{"Access-Control-Allow-Origin": allowedSite}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := e.handler(t, images.Config{CORSOrigins: c.origins}, nil)
			resp := handle(t, h, c.event())
			if resp.StatusCode != c.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, c.status)
			}
			for k, v := range c.want {
				if resp.Headers[k] != v {
					t.Errorf("%s = %q, want %q", k, resp.Headers[k], v)
				}
			}
		})
	}
}
