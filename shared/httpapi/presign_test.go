package httpapi

import (
	"net/url"
	"testing"
	"time"
)

func TestPresignedExpiry(t *testing.T) {
	cases := []struct {
		query string
		want  time.Time
		ok    bool
	}{
		{"X-Amz-Date=20261203T101500Z&X-Amz-Expires=300",
			time.Date(2026, 12, 3, 10, 20, 0, 0, time.UTC), true},
		{"X-Amz-Expires=300", time.Time{}, false},
		{"X-Amz-Date=20261203T101500Z", time.Time{}, false},
		{"X-Amz-Date=20261203T101500Z&X-Amz-Expires=0", time.Time{}, false},
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		got, err := PresignedExpiry(q)
		if (err == nil) != c.ok || !got.Equal(c.want) {
			t.Errorf("PresignedExpiry(%s) = %v, %v; want %v", c.query, got, err, c.want)
		}
	}
}
