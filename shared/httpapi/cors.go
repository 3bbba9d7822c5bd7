package httpapi

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// preflightMaxAge is how long, in seconds, a browser may reuse a preflight's
// answer before asking again.
const preflightMaxAge = "600"

// CORS answers browsers for the origins an API is configured with. API
// Gateway can answer CORS itself, and should in production; this is for the
// preflights and requests with Origin that reach the function anyway.
type CORS struct {
	// Origins are the browser origins that get CORS headers, each passing
	// [ValidOrigin]; ["*"] alone allows any origin. Empty means no CORS
	// headers at all.
	Origins []string
	// Methods is the Access-Control-Allow-Methods of a preflight, such as
	// "GET, OPTIONS".
	Methods string
	// Headers is the Access-Control-Allow-Headers of a preflight, such as
	// "Authorization".
	Headers string
}

// Preflight answers a CORS preflight with a 204. It needs no token: browsers
// send preflights without credentials. An origin that is not allowed gets no
// Access-Control-Allow-* headers, which is how a browser learns it is
// refused. Pass the response through [CORS.Apply] like any other.
func (c CORS) Preflight(origin string) events.APIGatewayV2HTTPResponse {
	resp := JSON(http.StatusNoContent, nil)
	if c.AllowOrigin(origin) != "" {
		resp.Headers["Access-Control-Allow-Methods"] = c.Methods
		resp.Headers["Access-Control-Allow-Headers"] = c.Headers
		resp.Headers["Access-Control-Max-Age"] = preflightMaxAge
	}
	return resp
}

// Apply sets the CORS headers of a response to a request from origin:
// Access-Control-Allow-Origin if the origin is allowed, and Vary: Origin
// whenever the answer depends on the origin.
func (c CORS) Apply(headers map[string]string, origin string) {
	if len(c.Origins) == 0 {
		return
	}
	if allow := c.AllowOrigin(origin); allow != "" {
		headers["Access-Control-Allow-Origin"] = allow
	}
	if c.Origins[0] != "*" {
		// The answer depends on Origin, so shared caches must key on it.
		headers["Vary"] = "Origin"
	}
}

// AllowOrigin returns the Access-Control-Allow-Origin value for origin: "*"
// when any origin is allowed, origin itself when it is listed, and "" when
// it gets no CORS headers.
func (c CORS) AllowOrigin(origin string) string {
	if len(c.Origins) == 0 {
		return ""
	}
	if c.Origins[0] == "*" {
		return "*"
	}
	if origin != "" && slices.Contains(c.Origins, origin) {
		return origin
	}
	return ""
}

// ValidOrigin reports whether o can be configured as a CORS origin: "*", or
// a browser origin written scheme://host[:port] with an http or https scheme,
// and no path, query, fragment or user info. Browsers send exactly that form
// in the Origin header, so anything else would never match.
func ValidOrigin(o string) bool {
	if o == "*" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	return (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		o == u.Scheme+"://"+u.Host
}
