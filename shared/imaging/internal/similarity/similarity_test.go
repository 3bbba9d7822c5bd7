package similarity

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestSSIM(t *testing.T) {
	const w, h = 40, 30
	a := make([]float64, w*h)
	for i := range a {
		a[i] = float64((i*37)%200 + 20)
	}
	if s := SSIM(a, a, w, h); math.Abs(s-1) > 1e-12 {
		t.Errorf("SSIM of a plane with itself = %v, want 1", s)
	}
	b := make([]float64, len(a))
	for i := range b {
		b[i] = 255 - a[i]
	}
	if s := SSIM(a, b, w, h); s > 0 {
		t.Errorf("SSIM of a plane with its negative = %v, want below 0", s)
	}
	if s := SSIM(a, a, 5, 5); !math.IsNaN(s) {
		t.Errorf("SSIM of planes smaller than the window = %v, want NaN", s)
	}
}

func TestCompareShift(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 20, 20))
	b := image.NewRGBA(a.Rect)
	for i := 0; i < len(a.Pix); i += 4 {
		copy(a.Pix[i:], []byte{100, 150, 200, 255})
		copy(b.Pix[i:], []byte{101, 149, 200, 255})
	}
	got := Compare(b, a)
	if got.Shift != [3]float64{1, -1, 0} {
		t.Errorf("shift = %v, want [1 -1 0]", got.Shift)
	}
}

func TestReferenceFlat(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{10, 128, 250, 255})
	}
	ref := NewReference(img).Lanczos3(image.Pt(30, 20))
	if got := color.NRGBAModel.Convert(ref.At(15, 10)); got != (color.NRGBA{10, 128, 250, 255}) {
		t.Errorf("reference of a flat picture is %v", got)
	}
}
