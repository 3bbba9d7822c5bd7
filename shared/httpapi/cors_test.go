package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/imagepipe/imagepipe/shared/httpapi"
)

const site = "https://app.example.com"

// corsFor is the CORS of a route with origins.
func corsFor(origins ...string) httpapi.CORS {
	return httpapi.CORS{Origins: origins, Methods: "GET, OPTIONS", Headers: "Authorization"}
}

func TestCORSApply(t *testing.T) {
	cases := []struct {
		name   string
		cors   httpapi.CORS
		origin string
		want   map[string]string // the CORS headers set, and no others
	}{
		{"not configured", corsFor(), site, map[string]string{}},
		{"listed origin", corsFor("https://other.example.com", site), site,
			map[string]string{"Access-Control-Allow-Origin": site, "Vary": "Origin"}},
		{"unlisted origin", corsFor(site), "https://evil.example.com",
			map[string]string{"Vary": "Origin"}},
		{"origin differing in case", corsFor(site), "https://APP.example.com",
			map[string]string{"Vary": "Origin"}},
		{"no origin", corsFor(site), "", map[string]string{"Vary": "Origin"}},
		{"any origin", corsFor("*"), "https://evil.example.com",
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"any origin, none sent", corsFor("*"), "",
			map[string]string{"Access-Control-Allow-Origin": "*"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			headers := map[string]string{}
			c.cors.Apply(headers, c.origin)
			if len(headers) != len(c.want) {
				t.Errorf("headers = %v, want %v", headers, c.want)
			}
			for k, v := range c.want {
				if headers[k] != v {
					t.Errorf("%s = %q, want %q", k, headers[k], v)
				}
			}
		})
	}
}

func TestCORSPreflight(t *testing.T) {
	allowed := jsonHeaders("Access-Control-Allow-Methods", "GET, OPTIONS",
		"Access-Control-Allow-Headers", "Authorization", "Access-Control-Max-Age", "600")
	cases := []struct {
		name   string
		cors   httpapi.CORS
		origin string
		want   map[string]string
	}{
		{"listed origin", corsFor(site), site, allowed},
		{"any origin", corsFor("*"), "https://evil.example.com", allowed},
		{"unlisted origin", corsFor(site), "https://evil.example.com", jsonHeaders()},
		{"not configured", corsFor(), site, jsonHeaders()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkResponse(t, c.cors.Preflight(c.origin), http.StatusNoContent, "", c.want)
		})
	}
}

func TestValidOrigin(t *testing.T) {
	cases := []struct {
		origin string
		want   bool
	}{
		{"*", true},
		{"https://app.example.com", true},
		{"http://localhost:8080", true},
		{"https://[::1]:8443", true},
		{"", false},
		{"app.example.com", false},
		{"ftp://app.example.com", false},
		{"HTTPS://app.example.com", false},
		{"https://app.example.com/", false},
		{"https://app.example.com/path", false},
		{"https://app.example.com?", false},
		{"https://app.example.com?q=1", false},
		{"https://app.example.com#top", false},
		{"https://user@app.example.com", false},
		{"https://", false},
		{"https:app.example.com", false},
		{"https://app.example.com, https://b.example.com", false},
		{"**", false},
	}
	for _, c := range cases {
		t.Run(c.origin, func(t *testing.T) {
			if got := httpapi.ValidOrigin(c.origin); got != c.want {
				t.Errorf("ValidOrigin(%q) = %v, want %v", c.origin, got, c.want)
			}
		})
	}
}
