package httpapi

import (
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imagepipe/imagepipe/shared/objectkey"
)

// Header returns the value of the request header name regardless of case:
// API Gateway lowercases names in payload 2.0, but a caller building events
// by hand may not. A missing header is "".
func Header(headers map[string]string, name string) string {
	if v, ok := headers[name]; ok {
		return v
	}
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Subject returns the JWT sub claim the route's authorizer verified: the
// caller's user id. It refuses with a 401 [CodeUnauthorized] when there is
// no JWT authorizer context, no sub, or a sub that [objectkey.ValidID]
// rejects. The id names the caller's keys and items, so without a usable one
// there is nothing the request may touch, and no shared fallback.
func Subject(req events.APIGatewayV2HTTPRequest) (string, *Refusal) {
	auth := req.RequestContext.Authorizer
	if auth == nil || auth.JWT == nil {
		return "", Unauthorized("a signed-in user is required")
	}
	sub := auth.JWT.Claims["sub"]
	if sub == "" {
		return "", Unauthorized("the token has no subject")
	}
	if !objectkey.ValidID(sub) {
		return "", Unauthorized("the token's subject is not a valid user id")
	}
	return sub, nil
}
