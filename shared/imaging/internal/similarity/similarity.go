// Package similarity measures how close a resized picture is to a reference:
// the structural similarity (SSIM) of their luma and the mean shift of each
// colour channel. The image package's tests and its benchmark both use it,
// with references made by [Lanczos3]: github.com/nfnt/resize's Lanczos3, the
// filter production uses, applied to the whole full-resolution picture at
// once, where production box-reduces first and cascades the variants.
package similarity

import (
	"image"
	"image/draw"
	"math"

	"github.com/nfnt/resize"
)

// Reference is a full-resolution picture kept to make Lanczos3 references of
// any size from it.
type Reference struct {
	full  *image.RGBA64
	cache map[image.Point]*image.RGBA64
}

// NewReference keeps img as 16-bit RGBA: nfnt/resize's 16-bit path rounds
// to 1/65535, so the references carry none of the truncation bias of its
// 8-bit path (about -0.4 levels per pass).
func NewReference(img image.Image) *Reference {
	full := image.NewRGBA64(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(full, full.Rect, img, img.Bounds().Min, draw.Src)
	return &Reference{full: full, cache: map[image.Point]*image.RGBA64{}}
}

// Lanczos3 returns the reduction of the whole picture to size, made by
// github.com/nfnt/resize in one Lanczos3 pass from the full resolution.
func (r *Reference) Lanczos3(size image.Point) image.Image {
	if m, ok := r.cache[size]; ok {
		return m
	}
	m := resize.Resize(uint(size.X), uint(size.Y), r.full, resize.Lanczos3).(*image.RGBA64)
	r.cache[size] = m
	return m
}

// Result is how a picture compares with its reference.
type Result struct {
	// SSIM is the mean structural similarity of the luma planes, 1 for
	// identical pictures.
	SSIM float64
	// Shift is the mean of R, G and B minus that of the reference, in 8-bit
	// levels.
	Shift [3]float64
}

// Compare measures got against the reference of its own size.
func (r *Reference) Compare(got image.Image) Result {
	return Compare(got, r.Lanczos3(got.Bounds().Size()))
}

// Compare measures got against want, which must be of the same size.
func Compare(got, want image.Image) Result {
	g, w := planes(got), planes(want)
	size := got.Bounds().Size()
	var res Result
	for c := range res.Shift {
		var s float64
		for i := range g[c] {
			s += g[c][i] - w[c][i]
		}
		res.Shift[c] = s / float64(len(g[c]))
	}
	res.SSIM = SSIM(luma(g), luma(w), size.X, size.Y)
	return res
}

// planes returns the 8-bit R, G and B of every pixel of img, as floats.
func planes(img image.Image) [3][]float64 {
	b := img.Bounds()
	var out [3][]float64
	for c := range out {
		out[c] = make([]float64, 0, b.Dx()*b.Dy())
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out[0] = append(out[0], float64(r)/257)
			out[1] = append(out[1], float64(g)/257)
			out[2] = append(out[2], float64(bl)/257)
		}
	}
	return out
}

// luma is BT.601 Y of RGB planes.
func luma(p [3][]float64) []float64 {
	y := make([]float64, len(p[0]))
	for i := range y {
		y[i] = 0.299*p[0][i] + 0.587*p[1][i] + 0.114*p[2][i]
	}
	return y
}

// SSIM is the mean structural similarity of two w×h planes of 8-bit
// values, with the parameters of Wang et al. (2004): an 11×11 Gaussian
// window of sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, over the windows that
// fit. It is NaN for planes smaller than the window.
func SSIM(a, b []float64, w, h int) float64 {
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	const win = 11
	ow, oh := w-win+1, h-win+1
	if ow < 1 || oh < 1 {
		return math.NaN()
	}
	var g [win]float64
	var gs float64
	for i := range g {
		d := float64(i - win/2)
		g[i] = math.Exp(-d * d / (2 * 1.5 * 1.5))
		gs += g[i]
	}
	for i := range g {
		g[i] /= gs
	}
	// blur filters with the window along both axes, keeping the valid part.
	blur := func(p []float64) []float64 {
		tmp := make([]float64, ow*h)
		for y := range h {
			for x := range ow {
				var s float64
				for i, k := range g {
					s += k * p[y*w+x+i]
				}
				tmp[y*ow+x] = s
			}
		}
		out := make([]float64, ow*oh)
		for y := range oh {
			for x := range ow {
				var s float64
				for i, k := range g {
					s += k * tmp[(y+i)*ow+x]
				}
				out[y*ow+x] = s
			}
		}
		return out
	}
	prod := func(x, y []float64) []float64 {
		p := make([]float64, len(x))
		for i := range p {
			p[i] = x[i] * y[i]
		}
		return p
	}
	ma, mb := blur(a), blur(b)
	saa, sbb, sab := blur(prod(a, a)), blur(prod(b, b)), blur(prod(a, b))
	var sum float64
	for i := range ma {
		va, vb := saa[i]-ma[i]*ma[i], sbb[i]-mb[i]*mb[i]
		cov := sab[i] - ma[i]*mb[i]
		sum += (2*ma[i]*mb[i] + c1) * (2*cov + c2) /
			((ma[i]*ma[i] + mb[i]*mb[i] + c1) * (va + vb + c2))
	}
	return sum / float64(len(ma))
}
