package steperr

import (
	"errors"
	"fmt"
	"testing"
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
