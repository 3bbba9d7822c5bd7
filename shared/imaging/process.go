package imaging

import (
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/image/webp"

	"github.com/imagepipe/imagepipe/shared/imaging/internal/jpegdec"
)

// Defaults of [Options].
const (
	DefaultQuality   = 85
	DefaultMaxPixels = 50_000_000
)

// DefaultBackground is the colour transparent pixels are flattened onto.
var DefaultBackground = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}

// How much larger than its target the reduction before Lanczos3 leaves the
// picture, as a ratio of sizes: the JPEG decoder's n/8 scaling (the smallest
// n that leaves at least this) or the box of other formats (the largest
// factor that does). What remains, 1 to 2 times, is the cheapest job for
// nfnt/resize's Lanczos3, which takes 12 taps for any ratio in that range
// and 18 up to 3. Measured on the benchmark's photos when the box did all
// of it, leaving 1.5 instead of 1 cost 30 to 95% more CPU in the box and
// Lanczos3 passes and moved the SSIM of the 200 px variant by under 0.0002.
// Between variants the cascade keeps libvips's default gap of 2: with 1, the
// 800 px variant would be a plain 2×2 box of the 1600 px one, and the 200 px
// variant of a detailed photo fell from SSIM 0.976 to 0.969. There the box
// is used only when its factor divides the variant's size (see render).
const (
	decodedLanczosRatio = 1.0
	cascadeLanczosRatio = 2.0
)

// Options says what [Process] makes. The zero value of every field but
// Variants means its default.
type Options struct {
	// Variants are the renditions to make; at least one.
	Variants []Variant
	// Quality is the JPEG quality, 1 to 100; 0 means [DefaultQuality].
	Quality int
	// Background is the opaque colour transparency is flattened onto; its
	// alpha is ignored, except that the zero value means
	// [DefaultBackground] (white).
	Background color.RGBA
	// MaxPixels caps width×height as declared by the header; 0 means
	// [DefaultMaxPixels].
	MaxPixels int64
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Variants) == 0 {
		return o, &InvalidOptionsError{Reason: "no variants"}
	}
	for _, v := range o.Variants {
		if v.LongEdge < 1 || v.LongEdge > MaxLongEdge {
			return o, &InvalidOptionsError{
				Reason: fmt.Sprintf("variant %q has long edge %d", v.Name, v.LongEdge)}
		}
	}
	switch {
	case o.Quality == 0:
		o.Quality = DefaultQuality
	case o.Quality < 1 || o.Quality > 100:
		return o, &InvalidOptionsError{Reason: fmt.Sprintf("quality %d", o.Quality)}
	}
	if o.Background == (color.RGBA{}) {
		o.Background = DefaultBackground
	}
	o.Background.A = 0xff
	switch {
	case o.MaxPixels == 0:
		o.MaxPixels = DefaultMaxPixels
	case o.MaxPixels < 0:
		return o, &InvalidOptionsError{Reason: fmt.Sprintf("max pixels %d", o.MaxPixels)}
	}
	return o, nil
}

// Output is one encoded variant.
type Output struct {
	// Name is the variant's name.
	Name string
	// Width and Height are the output's dimensions, upright.
	Width, Height int
	// Data is the JPEG file.
	Data []byte
}

// Process decodes the image in r and makes every variant of opts, in the
// order given (the first is the primary rendition).
//
// The header is read first and the pixel cap enforced before a pixel is
// decoded. The EXIF orientation is applied, transparency flattened onto the
// background, and each variant scaled so that its long edge is the variant's,
// never larger than the image's own (no upscaling). Each variant is derived
// from the next larger one, so a thumbnail costs little next to the large
// rendition. Outputs are baseline JPEGs without EXIF, XMP, ICC or comment
// segments; grey sources without alpha give greyscale JPEGs.
//
// Errors are those of [ReadHeader], [*TooManyPixelsError], and
// [*InvalidOptionsError] for options it cannot use.
func Process(r io.Reader, opts Options) ([]Output, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}

	src := newSource(r)
	hdr, model, err := readHeader(src)
	if err != nil {
		return nil, err
	}
	if err := hdr.CheckPixels(opts.MaxPixels); err != nil {
		return nil, err
	}

	src.replay(false)
	canvas := image.Rect(0, 0, hdr.Width, hdr.Height)
	steps := plan(canvas, hdr.Orientation, opts)
	var first planar
	if hdr.Format == JPEG && (model == color.YCbCrModel || model == color.GrayModel) {
		first, err = decodeJPEGPlanes(src, canvas, steps[0])
	} else {
		first, err = decodeImage(hdr, src, canvas, steps[0], opts.Background)
	}
	if err != nil {
		return nil, err
	}
	return render(first, steps, hdr.Orientation, opts)
}

// decodeJPEGPlanes decodes a YCbCr or grey JPEG straight into the planes of
// the first step. The decoder does the reduction itself, in the DCT domain
// (internal/jpegdec): at the smallest scale of n/8 that leaves the picture
// at least as large as the step, so a photograph on its way to 1600 px is
// never built at full size and Lanczos3 is left a ratio of 1 to 8/7 for
// most photographs (1 to 2 at the least); only a reduction past 1/8 needs
// the box besides.
func decodeJPEGPlanes(src *source, canvas image.Rectangle, first step) (p planar, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = planar{}, classify(JPEG, src, fmt.Errorf("decoder panic: %v", r))
		}
	}()
	w, h := canvas.Dx(), canvas.Dy()
	eighths := jpegdec.ScaleFor(w, h,
		int(math.Ceil(decodedLanczosRatio*float64(first.width))),
		int(math.Ceil(decodedLanczosRatio*float64(first.height))))
	m, err := jpegdec.Decode(src, eighths)
	if err != nil {
		return planar{}, classify(JPEG, src, err)
	}
	if m.Progressive {
		collectDecoderGarbage()
	}
	p = planar{w: m.Width, h: m.Height, planes: make([]plane, len(m.Planes)),
		exactW: w * eighths, exactH: h * eighths}
	for i, mp := range m.Planes {
		p.planes[i] = plane{pix: mp.Pix, w: mp.Width, h: mp.Height, stride: mp.Stride,
			ux: mp.UnitX, uy: mp.UnitY}
	}
	k := boxFactor(w*eighths/8, h*eighths/8, first.width, first.height, decodedLanczosRatio)
	return p.shrink(k), nil
}

// decodeImage decodes with the standard decoder of the format and converts
// the picture to the planes of the first step, box-reduced by the factor the
// step allows.
func decodeImage(hdr Header, src *source, canvas image.Rectangle, first step,
	bg color.RGBA) (planar, error) {
	img, err := decode(hdr.Format, src)
	if err != nil {
		return planar{}, classify(hdr.Format, src, err)
	}
	if err := checkBounds(hdr, img.Bounds(), canvas); err != nil {
		return planar{}, err
	}
	// x/image/webp returns VP8's studio-swing samples in an *image.YCbCr,
	// whose colour model assumes JPEG's full range: converted as such, every
	// lossy WebP would lose about 8% of its contrast and saturation.
	studio := hdr.Format == WebP
	k := boxFactor(canvas.Dx(), canvas.Dy(), first.width, first.height, decodedLanczosRatio)
	p := toPlanar(img, canvas, k, bg, studio)
	collectDecoderGarbage() // img is not used past here
	return p, nil
}

// collectDecoderGarbage runs the garbage collector once the decoded picture
// (or a progressive JPEG's coefficients) is no longer needed: it is most of
// the heap, and with the default GOGC the collector would wait for the heap
// to double, so the buffers of the Lanczos3 pass would come on top of it.
// Collected now, they reuse its memory: a 12 MP progressive JPEG peaked at
// 110 MB without this and at 60 MB with it, for well under a millisecond
// of collection (the heap left is a few MB of pixels, without pointers).
func collectDecoderGarbage() { runtime.GC() }

// decode runs the standard decoder of format, turning a panic into an error.
// JPEGs come here only when they are CMYK, YCCK or RGB, which
// internal/jpegdec leaves to image/jpeg; they get jpegdec's limit on scans.
func decode(format Format, r io.Reader) (img image.Image, err error) {
	defer recoverDecoder(&err)
	switch format {
	case JPEG:
		return jpeg.Decode(jpegdec.LimitScans(r))
	case PNG:
		return png.Decode(r)
	case GIF:
		// The first frame only: an animated GIF is stored as one picture.
		return gif.Decode(r)
	case WebP:
		return webp.Decode(r)
	}
	return nil, fmt.Errorf("no decoder for %q", format)
}

// checkBounds makes sure the decoded pixels are what the header promised, so
// the cap checked on the header holds for the pixels too. Only a GIF's first
// frame may be smaller than its logical screen.
func checkBounds(hdr Header, got, canvas image.Rectangle) error {
	if got == canvas || hdr.Format == GIF && got.In(canvas) {
		return nil
	}
	return &CorruptImageError{Format: hdr.Format,
		Err: fmt.Errorf("header says %v, pixels cover %v", canvas, got)}
}

// step is one variant to make, in the stored (not yet oriented) frame.
type step struct {
	index         int // position in opts.Variants and in the result
	width, height int
}

// plan returns the steps that make the variants of opts from a picture
// stored as canvas, largest first, so that each can be made from the one
// before it.
func plan(canvas image.Rectangle, orientation int, opts Options) []step {
	turned := orientation >= 5 && orientation <= 8
	steps := make([]step, len(opts.Variants))
	for i, v := range opts.Variants {
		w, h := canvas.Dx(), canvas.Dy()
		if turned {
			w, h = h, w
		}
		w, h = fit(w, h, v.LongEdge)
		if turned {
			w, h = h, w
		}
		steps[i] = step{index: i, width: w, height: h}
	}
	sort.SliceStable(steps, func(a, b int) bool {
		return steps[a].width > steps[b].width ||
			steps[a].width == steps[b].width && steps[a].height > steps[b].height
	})
	return steps
}

// render makes the variants of steps, the first from the planes first (the
// decoded picture, box-reduced for it), each other from the one before.
func render(first planar, steps []step, orientation int, opts Options) ([]Output, error) {
	out := make([]Output, len(steps))
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	from := first
	for n, s := range steps {
		if n == 0 {
			// first is already reduced for this step
		} else if k := boxFactor(from.w, from.h, s.width, s.height, cascadeLanczosRatio); k > 1 &&
			from.w%k == 0 && from.h%k == 0 {
			// nfnt maps the edges of its source onto those of its result, so
			// a partial block at the edge would stretch the picture by up to
			// a source sample: on an 800×533 variant the 200 px one below it
			// was a quarter pixel off at the bottom, its SSIM against the
			// reference fell from 0.9993 to 0.9889 and its mean moved 0.15
			// levels. Without the box nfnt does the job alone, in more taps.
			from = from.shrink(k)
		}
		next := from.resize(s.width, s.height)
		from = next

		// Encoding this variant overlaps with scaling the next one.
		v := opts.Variants[s.index]
		wg.Go(func() {
			upright := next.orient(orientation)
			data, err := encodePlanes(upright, opts.Quality)
			out[s.index] = Output{Name: v.Name, Width: upright.w, Height: upright.h, Data: data}
			errs[s.index] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fit returns w×h scaled so that its long edge is long, or w×h itself when it
// is already no longer: variants are never upscaled.
func fit(w, h, long int) (int, int) {
	if max(w, h) <= long {
		return w, h
	}
	if w >= h {
		return long, max(1, int((int64(h)*int64(long)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(long)+int64(h)/2)/int64(h))), long
}

// boxFactor is the largest whole factor by which a w0×h0 picture can be
// box-reduced on its way to w×h while staying at least ratio times larger.
func boxFactor(w0, h0, w, h int, ratio float64) int {
	r := min(float64(w0)/float64(w), float64(h0)/float64(h))
	return max(1, int(r/ratio))
}
