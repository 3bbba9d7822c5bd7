package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// lambdaHTTP is an HTTP API integration as a Lambda function sees it:
// payload format 2.0 in, a response out.
type lambdaHTTP func(context.Context, events.APIGatewayV2HTTPRequest) (
	events.APIGatewayV2HTTPResponse, error)

// maxAPIBody is API Gateway's payload limit for HTTP APIs (10 MB).
const maxAPIBody = 10 << 20

// localAPIID names the local HTTP API in request contexts.
const localAPIID = "local"

// apiRoute adapts one route of the local HTTP API to net/http, doing what API
// Gateway does in front of a Lambda integration: the JWT authorizer (when
// auth is set), the payload 2.0 event, and the response mapping.
func (s *devServer) apiRoute(routeKey string, auth bool, fn lambdaHTTP) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if s.draining.Load() && r.Method != http.MethodGet && r.Method != http.MethodHead {
			apiMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}

		var claims map[string]string
		if auth {
			var err error
			if claims, err = s.authorize(r); err != nil {
				unauthorized(w, err)
				s.log.Info("api request refused", "route", routeKey, "status", 401,
					"reason", err.Error())
				return
			}
		}

		req, err := s.apiEvent(r, routeKey, claims)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				apiMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
				return
			}
			apiMessage(w, http.StatusBadRequest, "Bad Request")
			return
		}
		resp, err := fn(r.Context(), req)
		if err != nil {
			// API Gateway turns an integration error into a bare 500; the
			// cause is in the function's own log.
			s.log.Error("api integration failed", "route", routeKey, "error", err.Error())
			apiMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		writeAPIResponse(w, resp)
		// The page polls with GETs every second; those lines are debug.
		level := slog.LevelInfo
		if r.Method == http.MethodGet {
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "api request", "route", routeKey,
			"status", resp.StatusCode,
			"userId", claims["sub"], "apiRequestId", req.RequestContext.RequestID,
			"ms", time.Since(start).Milliseconds())
	}
}

// authorize runs the JWT authorizer on r's Authorization header.
func (s *devServer) authorize(r *http.Request) (map[string]string, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, errTokenMissing
	}
	return s.auth.verify(strings.TrimSpace(token))
}

// unauthorized answers as an HTTP API's JWT authorizer does.
func unauthorized(w http.ResponseWriter, err error) {
	desc := strings.ReplaceAll(err.Error(), `"`, "'")
	w.Header().Set("WWW-Authenticate",
		fmt.Sprintf(`Bearer scope="" error="invalid_token" error_description=%q`, desc))
	apiMessage(w, http.StatusUnauthorized, "Unauthorized")
}

// apiMessage writes API Gateway's own error shape, {"message": "..."}.
func apiMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// apiEvent builds the payload 2.0 event of r.
func (s *devServer) apiEvent(r *http.Request, routeKey string,
	claims map[string]string) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxAPIBody))
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, err
	}
	now := time.Now().UTC()
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)

	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower == "cookie" {
			for _, v := range values {
				for c := range strings.SplitSeq(v, ";") {
					cookies = append(cookies, strings.TrimSpace(c))
				}
			}
			continue
		}
		headers[lower] = strings.Join(values, ",")
	}
	headers["host"] = r.Host
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, v := range q {
			query[k] = strings.Join(v, ",")
		}
	}
	var params map[string]string
	if i := strings.Index(routeKey, "{"); i >= 0 {
		name := strings.TrimSuffix(routeKey[i+1:], "}")
		params = map[string]string{name: r.PathValue(name)}
	}

	req := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    s.p.Stack.AccountID,
			Stage:        "$default",
			RequestID:    base64.RawStdEncoding.EncodeToString(uuidBytes())[:16],
			APIID:        localAPIID,
			DomainName:   r.Host,
			DomainPrefix: strings.Split(r.Host, ".")[0],
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if claims != nil {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
		}
	}
	if len(body) > 0 {
		// Payload 2.0 passes text through and base64-encodes anything else.
		if utf8.Valid(body) {
			req.Body = string(body)
		} else {
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return req, nil
}

func uuidBytes() []byte {
	id := uuid.New()
	return id[:]
}

// writeAPIResponse maps a payload 2.0 response to HTTP, as API Gateway does.
func writeAPIResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			apiMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		body = decoded
	}
	if w.Header().Get("Content-Type") == "" && len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSON answers a dev route with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// devError answers a dev route with {"error": {"code", "message"}}, the
// shape of the upload API's refusals.
func devError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{
		"code": code, "message": msg}})
}

// logLevelVar parses a --log-level value.
func logLevelVar(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}
