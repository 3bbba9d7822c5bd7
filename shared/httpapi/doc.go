// Package httpapi holds the plumbing an API Gateway HTTP API (payload 2.0)
// Lambda needs around its own logic: JSON responses that no cache keeps, the
// {"error": {"code": "...", "message": "..."}} body of a refusal, CORS for the
// configured browser origins, the caller's id from the JWT authorizer, and the
// 405 for a method a route does not serve.
//
// A handler built on it answers every request with a response, refusals
// included, and returns a nil error: an error would reach the client as API
// Gateway's bare 500, without CORS headers or an error code.
package httpapi
