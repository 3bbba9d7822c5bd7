//go:build ignore

// Command gen writes the test fixtures of package imaging into the current
// directory. Run it from testdata with `go run gen.go`; the WebP, progressive,
// 4:2:2 and CMYK JPEG fixtures need ImageMagick's convert, libvips's vips
// and libwebp's cwebp on PATH (or CONVERT, VIPS and CWEBP naming them). The
// outputs are committed, so the tests need none of the tools. photo-sunset.jpg
// is a crop of a real photograph, not made here: see README.md.
//
// Every picture is the same upright 96×64 pattern of four coloured quadrants
// (see quadrant colours below), so one test can check any of them: a wrong
// orientation or a colour conversion error moves or changes a quadrant.
package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"log"
	"os"
	"os/exec"
	"path/filepath"
)

const w, h = 96, 64

// Quadrant colours, clockwise from the top left; the tests hold the same.
var quad = [4]color.NRGBA{
	{220, 30, 30, 255},  // top left: red
	{30, 200, 60, 255},  // top right: green
	{240, 220, 40, 255}, // bottom right: yellow
	{40, 60, 210, 255},  // bottom left: blue
}

func quadrant(x, y, w, h int) int {
	switch {
	case y < h/2 && x < w/2:
		return 0
	case y < h/2:
		return 1
	case x >= w/2:
		return 2
	}
	return 3
}

func upright() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, quad[quadrant(x, y, w, h)])
		}
	}
	return img
}

func main() {
	log.SetFlags(0)
	tmp, err := os.MkdirTemp("", "imaging-gen")
	check(err)
	defer os.RemoveAll(tmp)
	up := upright()

	// JPEG, baseline 4:2:0 from image/jpeg.
	writeJPEG("jpeg-baseline.jpg", up, nil)

	// JPEG, greyscale: the quadrants as grey levels 50, 100, 150, 200.
	gray := image.NewGray(up.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			gray.SetGray(x, y, color.Gray{Y: uint8(50 * (1 + quadrant(x, y, w, h)))})
		}
	}
	writeJPEG("jpeg-gray.jpg", gray, nil)

	// JPEGs with each EXIF orientation: the stored pixels are the upright
	// pattern put through the inverse transform, so applying the tag gives
	// the pattern back. Odd values use Intel byte order, even ones Motorola.
	for o := 1; o <= 8; o++ {
		inv := o
		switch o {
		case 6:
			inv = 8
		case 8:
			inv = 6
		}
		var extra [][]byte
		extra = append(extra, app1Exif(o, o%2 == 1))
		if o == 6 {
			// An ICC profile segment (content irrelevant: it is ignored).
			icc := append([]byte("ICC_PROFILE\x00\x01\x01"), bytes.Repeat([]byte{0x42}, 600)...)
			extra = append(extra, segment(0xe2, icc))
		}
		writeJPEG(name("orient-%d.jpg", o), transform(up, inv), extra)
	}

	// PNG 8-bit RGB (image/png writes an opaque RGBA as colour type 2).
	rgb := image.NewRGBA(up.Rect)
	copyTo(rgb, up)
	writePNG("png-rgb8.png", rgb)

	// PNG 16-bit RGB, with low bytes that must be dropped.
	rgb16 := image.NewRGBA64(up.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := up.NRGBAAt(x, y)
			rgb16.SetRGBA64(x, y, color.RGBA64{uint16(c.R)<<8 | 0x7f, uint16(c.G)<<8 | 0x7f,
				uint16(c.B)<<8 | 0x7f, 0xffff})
		}
	}
	writePNG("png-rgb16.png", rgb16)

	// PNG palette.
	pal := image.NewPaletted(up.Rect, color.Palette{quad[0], quad[1], quad[2], quad[3]})
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pal.SetColorIndex(x, y, uint8(quadrant(x, y, w, h)))
		}
	}
	writePNG("png-palette.png", pal)

	// PNG RGBA with real transparency: the top right quadrant is fully
	// transparent, the bottom left half transparent.
	rgba := image.NewNRGBA(up.Rect)
	copyTo(rgba, up)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			switch quadrant(x, y, w, h) {
			case 1:
				rgba.SetNRGBA(x, y, color.NRGBA{30, 200, 60, 0})
			case 3:
				rgba.SetNRGBA(x, y, color.NRGBA{40, 60, 210, 128})
			}
		}
	}
	writePNG("png-rgba.png", rgba)

	// PNG grey with alpha (colour type 4), written by hand since image/png
	// never writes it: grey levels as in jpeg-gray.jpg, the top right
	// quadrant fully transparent.
	ga := make([]byte, 0, w*h*2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			q := quadrant(x, y, w, h)
			a := byte(255)
			if q == 1 {
				a = 0
			}
			ga = append(ga, byte(50*(1+q)), a)
		}
	}
	write("png-grayalpha.png", greyAlphaPNG(ga))

	// GIF, animated: the first frame is the pattern, the second all black.
	frames := []*image.Paletted{image.NewPaletted(up.Rect, palette.Plan9),
		image.NewPaletted(up.Rect, palette.Plan9)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			frames[0].Set(x, y, up.NRGBAAt(x, y))
			frames[1].Set(x, y, color.Black)
		}
	}
	var g bytes.Buffer
	check(gif.EncodeAll(&g, &gif.GIF{Image: frames, Delay: []int{50, 50}}))
	write("gif-animated.gif", g.Bytes())

	// GIF whose first frame covers only the top left quadrant of the screen:
	// the rest is transparent and must come out as background.
	part := image.NewPaletted(image.Rect(0, 0, w/2, h/2), color.Palette{quad[0]})
	g.Reset()
	check(gif.EncodeAll(&g, &gif.GIF{Image: []*image.Paletted{part}, Delay: []int{0},
		Config: image.Config{ColorModel: part.Palette, Width: w, Height: h}}))
	write("gif-partial.gif", g.Bytes())

	// The rest need ImageMagick and libwebp.
	src := filepath.Join(tmp, "quad.png")
	srcAlpha := filepath.Join(tmp, "alpha.png")
	check(os.WriteFile(src, encodePNG(up), 0o644))
	check(os.WriteFile(srcAlpha, encodePNG(rgba), 0o644))
	convert := tool("CONVERT", "convert")
	cwebp := tool("CWEBP", "cwebp")
	run(convert, src, "-strip", "-quality", "95", "-interlace", "Plane", "jpeg-progressive.jpg")
	run(convert, src, "-strip", "-quality", "92", "-sampling-factor", "2x1", "jpeg-422.jpg")
	// ImageMagick writes CMYK as YCCK (Adobe transform 2); libvips writes
	// plain CMYK (transform 0), converted through its built-in CMYK profile.
	run(convert, src, "-strip", "-quality", "95", "-colorspace", "CMYK", "jpeg-cmyk.jpg")
	vips := tool("VIPS", "vips")
	cmyk := filepath.Join(tmp, "cmyk.v")
	run(vips, "colourspace", src, cmyk, "cmyk")
	run(vips, "jpegsave", cmyk, "jpeg-cmyk-adobe.jpg", "--Q", "95", "--strip")
	run(cwebp, "-quiet", "-q", "95", src, "-o", "webp-lossy.webp")
	run(cwebp, "-quiet", "-lossless", src, "-o", "webp-lossless.webp")
	run(cwebp, "-quiet", "-q", "95", "-exact", srcAlpha, "-o", "webp-alpha.webp")
}

// transform returns img as EXIF orientation o would display it.
func transform(img *image.NRGBA, o int) *image.NRGBA {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	dw, dh := sw, sh
	if o >= 5 {
		dw, dh = sh, sw
	}
	out := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 1:
				sx, sy = x, y
			case 2:
				sx, sy = sw-1-x, y
			case 3:
				sx, sy = sw-1-x, sh-1-y
			case 4:
				sx, sy = x, sh-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, sh-1-x
			case 7:
				sx, sy = sw-1-y, sh-1-x
			case 8:
				sx, sy = sw-1-y, x
			}
			out.SetNRGBA(x, y, img.NRGBAAt(sx, sy))
		}
	}
	return out
}

// app1Exif returns an APP1 segment holding a minimal Exif TIFF structure:
// IFD0 with the orientation tag alone.
func app1Exif(orientation int, intel bool) []byte {
	var order binary.AppendByteOrder = binary.BigEndian
	tiff := []byte("MM\x00\x2a")
	if intel {
		order, tiff = binary.LittleEndian, []byte("II\x2a\x00")
	}
	tiff = order.AppendUint32(tiff, 8) // IFD0 follows the header
	tiff = order.AppendUint16(tiff, 1) // one entry
	tiff = order.AppendUint16(tiff, 0x0112)
	tiff = order.AppendUint16(tiff, 3) // SHORT
	tiff = order.AppendUint32(tiff, 1)
	tiff = order.AppendUint16(tiff, uint16(orientation))
	tiff = order.AppendUint16(tiff, 0)
	tiff = order.AppendUint32(tiff, 0) // no next IFD
	return segment(0xe1, append([]byte("Exif\x00\x00"), tiff...))
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xff, marker}
	s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
	return append(s, payload...)
}

// writeJPEG encodes img at quality 95 and puts extra segments after SOI.
func writeJPEG(file string, img image.Image, extra [][]byte) {
	var b bytes.Buffer
	check(jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}))
	data := b.Bytes()
	out := append([]byte{}, data[:2]...)
	for _, s := range extra {
		out = append(out, s...)
	}
	write(file, append(out, data[2:]...))
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	check((&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img))
	return b.Bytes()
}

func writePNG(file string, img image.Image) { write(file, encodePNG(img)) }

// greyAlphaPNG writes 8-bit grey+alpha samples as a PNG of size w×h.
func greyAlphaPNG(samples []byte) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
		body := append([]byte(typ), data...)
		out = append(out, body...)
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(body))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	chunk("IHDR", append(ihdr, 8, 4, 0, 0, 0))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	for y := 0; y < h; y++ {
		zw.Write([]byte{0}) // filter: none
		zw.Write(samples[y*w*2 : (y+1)*w*2])
	}
	check(zw.Close())
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out
}

func copyTo(dst interface{ Set(x, y int, c color.Color) }, src image.Image) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(x, y, src.At(x, y))
		}
	}
}

func tool(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

func run(args ...string) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%v: %v", args, err)
	}
}

func name(format string, o int) string { return fmt.Sprintf(format, o) }

func write(file string, data []byte) { check(os.WriteFile(file, data, 0o644)) }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
