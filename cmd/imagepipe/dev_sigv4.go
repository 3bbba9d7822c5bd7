package main

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// presignVerifier checks the Signature Version 4 of presigned S3 URLs, as S3
// does, against the one set of credentials the local stack signs with: a URL
// whose signed headers (Content-Type, Content-Length), query or path were
// changed, or that was signed with other credentials, is refused with S3's
// SignatureDoesNotMatch or InvalidAccessKeyId, so that what fails against
// AWS fails here too.
type presignVerifier struct {
	creds aws.Credentials
}

// verify returns S3's error code and message for r, or "" when its
// signature is the one its credentials give. The caller has checked that
// every X-Amz-* parameter is there and that the URL has not expired.
func (v presignVerifier) verify(r *http.Request) (code, msg string) {
	q := r.URL.Query()
	// <access key>/<date>/<region>/<service>/aws4_request
	cred := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return "AuthorizationQueryParametersError",
			"X-Amz-Credential must be <access key>/<date>/<region>/<service>/aws4_request"
	}
	if cred[0] != v.creds.AccessKeyID {
		return "InvalidAccessKeyId",
			"The AWS Access Key Id you provided does not exist in our records."
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return "AuthorizationQueryParametersError",
			"X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
	}
	amzDate := q.Get("X-Amz-Date")
	if !strings.HasPrefix(amzDate, cred[1]) {
		return "AuthorizationQueryParametersError",
			"X-Amz-Date and the date of X-Amz-Credential differ"
	}

	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	var headers strings.Builder
	for _, name := range signed {
		value := r.Header.Get(name)
		if name == "host" {
			value = r.Host
		} else if vs := r.Header.Values(name); len(vs) > 1 {
			value = strings.Join(vs, ",")
		}
		headers.WriteString(name + ":" + strings.Join(strings.Fields(value), " ") + "\n")
	}
	payload := q.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	canonical := strings.Join([]string{
		r.Method,
		escape(r.URL.Path, false),
		canonicalQuery(q),
		headers.String(),
		strings.Join(signed, ";"),
		payload,
	}, "\n")

	scope := strings.Join(cred[1:], "/")
	hash := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(hash[:])
	key := []byte("AWS4" + v.creds.SecretAccessKey)
	for _, part := range cred[1:] {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(q.Get("X-Amz-Signature"))) {
		return "SignatureDoesNotMatch", "The request signature we calculated does not " +
			"match the signature you provided. Check your key and signing method."
	}
	return "", ""
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalQuery is the query without X-Amz-Signature, each name and value
// escaped, sorted by name and then value.
func canonicalQuery(q url.Values) string {
	var pairs [][2]string
	for name, values := range q {
		if name == "X-Amz-Signature" {
			continue
		}
		for _, v := range values {
			pairs = append(pairs, [2]string{escape(name, true), escape(v, true)})
		}
	}
	slices.SortFunc(pairs, func(a, b [2]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p[0] + "=" + p[1]
	}
	return strings.Join(parts, "&")
}

// escape percent-encodes s as Signature Version 4 does: every byte but the
// unreserved A–Z a–z 0–9 - _ . ~, and '/' unless slash.
func escape(s string, slash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && !slash {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + string(hexDigits[c>>4]) + string(hexDigits[c&15]))
	}
	return b.String()
}
