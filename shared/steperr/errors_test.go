package steperr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

// The names are what statemachine/definition.asl.json matches on.
func TestNamesAreTheWireContract(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{Rejectf("not an image"), NameImageRejected},
		{Unavailable("s3", "GetObject", errors.New("503")), NameDependencyUnavailable},
		{Boundary(fmt.Errorf("resize: %w", Rejectf("truncated"))), NameImageRejected},
		{Boundary(fmt.Errorf("put: %w", Unavailable("s3", "PutObject", errors.New("x")))),
			NameDependencyUnavailable},
		{fmt.Errorf("plain: %w", errors.New("x")), "wrapError"},
	}
	for _, c := range cases {
		if got := Name(c.err); got != c.want {
			t.Errorf("Name(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestFromS3Object(t *testing.T) {
	cases := []struct {
		code string
		want string
	}{
		{"NotFound", NameImageRejected},
		{"NoSuchKey", NameImageRejected},
		{"PreconditionFailed", NameImageRejected},
		{"AccessDenied", NameDependencyRefused},
		{"SlowDown", NameDependencyUnavailable},
	}
	for _, c := range cases {
		err := FromS3Object("GetObject", &smithy.GenericAPIError{Code: c.code})
		if got := Name(err); got != c.want {
			t.Errorf("%s: %s, want %s", c.code, got, c.want)
		}
	}
}
