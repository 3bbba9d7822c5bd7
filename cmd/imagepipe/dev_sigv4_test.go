package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// presignVerifier accepts the URLs the SDK's presigner makes, sent as a
// browser sends them, and refuses each change S3 would refuse.
func TestPresignVerifier(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
	v := presignVerifier{creds: creds}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		code, _ := v.verify(r)
		io.WriteString(w, code)
	}))
	t.Cleanup(srv.Close)

	presigner := func(c aws.Credentials) *s3.PresignClient {
		return s3.NewPresignClient(s3.New(s3.Options{
			Region: "eu-west-3", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
			Credentials: credentials.StaticCredentialsProvider{Value: c},
		}))
	}
	ctx := context.Background()
	put := func(c aws.Credentials, key string) (string, http.Header) {
		t.Helper()
		req, err := presigner(c).PresignPutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("originals"), Key: aws.String(key),
			ContentType: aws.String("image/jpeg"), ContentLength: aws.Int64(5),
		})
		if err != nil {
			t.Fatal(err)
		}
		return req.URL, req.SignedHeader
	}
	send := func(method, rawURL string, header http.Header, body string) string {
		t.Helper()
		req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for name, values := range header {
			if !strings.EqualFold(name, "host") {
				req.Header[name] = values
			}
		}
		req.Header.Set("Origin", "http://127.0.0.1:8080") // not signed
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		code, _ := io.ReadAll(resp.Body)
		return string(code)
	}

	signed, header := put(creds, "user-uploads/u1/i1.jpg")
	with := func(name, value string) http.Header {
		h := header.Clone()
		h.Set(name, value)
		return h
	}
	edit := func(f func(u *url.URL)) string {
		u, _ := url.Parse(signed)
		f(u)
		return u.String()
	}
	otherSecret, _ := put(aws.Credentials{AccessKeyID: creds.AccessKeyID,
		SecretAccessKey: "other"}, "user-uploads/u1/i1.jpg")
	otherKey, _ := put(aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "secret"},
		"user-uploads/u1/i1.jpg")
	odd, oddHeader := put(creds, "user-uploads/u1/a b+c~d%é.jpg")
	get, err := presigner(creds).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String("processed"), Key: aws.String("processed/i1.jpg"),
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, method, url string
		header            http.Header
		body              string
		want              string
	}{
		{"as signed", "PUT", signed, header, "12345", ""},
		{"a key of reserved characters", "PUT", odd, oddHeader, "12345", ""},
		{"a presigned GET", "GET", get.URL, get.SignedHeader, "", ""},
		{"another Content-Type", "PUT", signed, with("Content-Type", "image/png"), "12345",
			"SignatureDoesNotMatch"},
		{"another size", "PUT", signed, with("Content-Length", "6"), "123456",
			"SignatureDoesNotMatch"},
		{"another key", "PUT", edit(func(u *url.URL) { u.Path += "x" }), header, "12345",
			"SignatureDoesNotMatch"},
		{"a longer expiry", "PUT", edit(func(u *url.URL) {
			q := u.Query()
			q.Set("X-Amz-Expires", "604800")
			u.RawQuery = q.Encode()
		}), header, "12345", "SignatureDoesNotMatch"},
		{"another method", "GET", signed, header, "", "SignatureDoesNotMatch"},
		{"another secret", "PUT", otherSecret, header, "12345", "SignatureDoesNotMatch"},
		{"another access key", "PUT", otherKey, header, "12345", "InvalidAccessKeyId"},
	} {
		if got := send(c.method, c.url, c.header, c.body); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
