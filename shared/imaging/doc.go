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
//     CMYK is converted with the plain formula of [image/color.CMYKToRGB].
//   - 16-bit samples are reduced to 8 bits.
//   - Lossy WebP is converted with libwebp's studio-swing formula: the
//     *image.YCbCr that golang.org/x/image/webp returns holds VP8 samples,
//     which the image/color full-range model would wash out.
//   - Resizing averages in the stored (gamma-encoded) values, as libvips and
//     browsers do.
//
// Pipeline of [Process]: header and pixel cap; the standard decoder; one pass
// that converts the decoded planes to an opaque RGBA (or grey) working image,
// flattening alpha and, when the image is much larger than the largest
// variant, averaging whole k×k blocks at the same time; github.com/nfnt/resize
// Lanczos3 for the rest of the way; each smaller variant from the one above
// it; orientation and JPEG encoding per variant. nfnt/resize is never given an
// *image.YCbCr, whose path shifts red and blue by about two levels per pass.
package imaging
