package objectkey

import (
	"errors"
	"testing"
)

func TestParseOriginal(t *testing.T) {
	cases := []struct {
		key  string
		want Original
		ok   bool
	}{
		{"user-uploads/u-1/img_1.jpg", Original{"u-1", "img_1", "jpg"}, true},
		{"user-uploads/u1/img.JPEG", Original{"u1", "img", "jpeg"}, true},
		{"user-uploads/u1/img.webp", Original{"u1", "img", "webp"}, true},
		{"processed/img.jpg", Original{}, false},
		{"user-uploads/img.jpg", Original{}, false},
		{"user-uploads/u1/nested/img.jpg", Original{}, false},
		{"user-uploads//img.jpg", Original{}, false},
		{"user-uploads/u 1/img.jpg", Original{}, false},
		{"user-uploads/u1/img.txt", Original{}, false},
		{"user-uploads/u1/img", Original{}, false},
		{"user-uploads/u1/.jpg", Original{}, false},
	}
	for _, c := range cases {
		got, err := ParseOriginal(c.key)
		var layout *ErrLayout
		switch {
		case c.ok && (err != nil || got != c.want):
			t.Errorf("ParseOriginal(%q) = %+v, %v; want %+v", c.key, got, err, c.want)
		case !c.ok && !errors.As(err, &layout):
			t.Errorf("ParseOriginal(%q) = %+v, %v; want *ErrLayout", c.key, got, err)
		}
	}
}

func TestKeysRoundTrip(t *testing.T) {
	key := OriginalKey("u1", "img1", "png")
	if got, err := ParseOriginal(key); err != nil || got != (Original{"u1", "img1", "png"}) {
		t.Errorf("ParseOriginal(OriginalKey) = %+v, %v", got, err)
	}
	if VariantKey("img1", "large", true) != "processed/img1.jpg" ||
		VariantKey("img1", "thumb", false) != "processed/img1/thumb.jpg" {
		t.Error("variant keys")
	}
}
