// Package imaging holds the image code of the pipeline: recognising an upload
// from its bytes, reading its dimensions without decoding it, and making the
// configured JPEG variants.
//
// The fetch step calls [ReadHeader] on the first bytes of an upload to learn
// its real format, size and orientation and to refuse it early; the resize
// step calls [Process] on the whole object. Both check the pixel cap on the
// header, before any pixel is decoded.
//
// Supported input: JPEG (baseline, progressive, greyscale, CMYK and YCCK),
// PNG (1 to 16 bits, palette, grey, grey with alpha, RGB, RGBA), GIF (the
// first frame: an animated GIF becomes one still picture) and still WebP
// (lossy, lossless, with alpha). Everything else is an
// [*UnsupportedFormatError] that names what was found.
//
// What is done with the pictures:
//
//   - The EXIF orientation of a JPEG (all eight values) is applied to the
//     pixels, and the outputs carry no EXIF, so they show upright everywhere.
//     Orientation stored in PNG eXIf or WebP EXIF chunks is not read.
//   - Transparency is flattened onto [Options.Background], white by default:
//     every output is a JPEG, which has no alpha.
//   - ICC profiles are ignored: pixels are kept as decoded, which is right
//     for the usual sRGB uploads and shifts colours of wide-gamut (Display P3,
//     Adobe RGB) ones; outputs carry no profile, so viewers assume sRGB.
//   - 16-bit samples are reduced to 8 bits.
//   - Lossy WebP is converted with libwebp's studio-swing formula: the
//     *image.YCbCr that golang.org/x/image/webp returns holds VP8 samples,
//     which the image/color full-range model would wash out.
//   - CMYK JPEGs, plain (Adobe transform 0) or YCCK (transform 2), are
//     converted with the plain formula of [image/color.CMYKToRGB]; files
//     made through a CMYK profile come out in other colours than a
//     profile-aware viewer shows (up to 80 levels in the test fixture).
//   - Resizing averages in the stored (gamma-encoded) values, as libvips and
//     browsers do, and rounds to the nearest level (the box reduction halves
//     to even, the Lanczos3 pass from 16 bits), so the mean colour of a
//     variant stays within a few hundredths of a level of the original's
//     even at the end of the cascade.
//
// # Pipeline
//
// [Process] reads the header and enforces the pixel cap, then decodes into
// planes: Y, Cb and Cr at their own chroma subsampling, never converted to
// RGB, or a grey picture's one plane.
//
// A JPEG of one or three components (nearly every photograph) is decoded by
// internal/jpegdec, image/jpeg's decoder reworked to write planes and to
// scale by n/8 in the DCT domain, as libjpeg's scaled decoding does for
// libvips's shrink-on-load: each 8×8 block becomes n×n samples, n the
// smallest that leaves the picture at least as large as the first variant
// (3/8 for a 12 MP photo on its way to 1600 px, 2/8 for 24 MP). The entropy
// decoding is the same at any scale; the inverse DCT, the memory and all
// that follows are for the reduced picture. CMYK, YCCK and RGB JPEGs, and
// the other formats, go through their standard decoders and are converted
// to YCbCr planes (alpha flattened) in one pass that also averages whole
// k×k blocks, k as large as leaves the picture at least as large as the
// first variant.
//
// github.com/nfnt/resize's Lanczos3 then makes the first variant from those
// planes, each plane on its own in 16 bits rounded back to 8 (lanczos.go),
// with 4:2:0 chroma; each smaller variant is made from the one before it,
// box-reduced first while it stays twice the target. Orientation is applied
// to each finished variant, which is encoded straight from its planes by a
// baseline encoder that uses image/jpeg's headers and tables (see jpegenc.go
// for why). The planes are scaled concurrently, nfnt and the box share rows
// among GOMAXPROCS goroutines, and each variant is encoded while the next
// is scaled.
//
// nfnt/resize is never given an *image.YCbCr, whose path shifts red and
// blue by about two levels, nor 8-bit planes, whose path truncates each
// pass (about -0.4 levels per variant). The tests and the benchmark hold
// the result to a Lanczos3 reference made by nfnt's 16-bit path on the
// whole full-resolution picture in one pass, without any reduction before.
//
// On the benchmark's 12 to 24 MP photographs (bench/README.md), the step
// costs 1.17 to 1.25 times libvips's CPU, baseline or progressive; about
// half of it is nfnt/resize, a fifth to a third the entropy decoding.
//
// # Memory per pixel cap
//
// The peak RSS of one [Process] of the three default variants, measured in
// its own process (bench/run.sh with CAPS=1; Go 1.26, GOGC 100):
//
//	input                        12 MP    24 MP    50 MP
//	JPEG 4:2:0, baseline         35 MB    31 MB    52 MB
//	JPEG 4:2:0, progressive      44 MB    80 MB   162 MB
//	JPEG 4:4:4, progressive      83 MB   156 MB   319 MB
//	PNG, 8-bit RGB               58 MB   105 MB   211 MB
//
// A baseline JPEG is decoded at the reduced size, so it costs about the
// same at any size: the reduced planes and nfnt/resize's buffers for the
// first variant. A progressive one must keep every quantized coefficient
// until its last scan, 2 bytes a sample of every component (4 in
// image/jpeg), and other formats are decoded whole before they are reduced:
// those are what size the function. The decoder's garbage is collected as
// soon as the planes are made (collectDecoderGarbage). A Lambda needs the worst case of its
// cap plus what the handler holds besides (the SDK, the encoded outputs;
// not measured here, allow 50 MB) and a margin of about a third, rounded
// up to 64 MB: 512 MB for the default 50 MP cap, 320 MB for 24 MP, 192 MB
// for 12 MP. These are floors, not targets: Lambda gives CPU in proportion
// to memory up to one vCPU at 1769 MB, so this CPU-bound step costs about
// the same GB-seconds at any setting up to there and runs fastest at
// 1769 MB.
package imaging
