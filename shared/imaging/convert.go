package imaging

import (
	"image"
	"image/color"
	"runtime"
	"sync"
)

// The row converters below turn any decoded picture but a JPEG's YCbCr (and
// a plain grey image) into opaque RGBA rows, flattening transparency onto the
// background: toPlanar reads the picture through them, once, while reducing
// it, so no full-size RGBA copy is made.

// rowFunc writes row y (in the canvas's coordinates) of an image, converted
// and flattened, into dst, which holds the canvas's width times the working
// bytes per pixel.
type rowFunc func(y int, dst []byte)

// converter returns the row function for img drawn on canvas over bg, and the
// number of bytes per working pixel it writes (1 for grey, 4 for RGBA). The
// canvas is the image's bounds except for a GIF whose first frame covers only
// part of its logical screen; canvas pixels outside img are background.
// studio says that a YCbCr img holds BT.601 studio-swing samples (Y in 16..235)
// as VP8 does, rather than the full range of JPEG's JFIF.
func converter(img image.Image, canvas image.Rectangle, bg color.RGBA,
	studio bool) (rowFunc, int) {
	r := img.Bounds()
	switch src := img.(type) {
	case *image.Gray:
		return func(y int, dst []byte) {
			i := src.PixOffset(r.Min.X, y)
			copy(dst, src.Pix[i:i+r.Dx()])
		}, 1
	case *image.Gray16:
		return func(y int, dst []byte) {
			i := src.PixOffset(r.Min.X, y)
			for x := range dst {
				dst[x] = src.Pix[i+2*x] // the high byte; 16-bit input becomes 8-bit
			}
		}, 1
	case *image.YCbCr:
		return yCbCrRows(src, nil, 0, bg, studio), 4
	case *image.NYCbCrA:
		return yCbCrRows(&src.YCbCr, src.A, src.AStride, bg, studio), 4
	case *image.RGBA:
		return func(y int, dst []byte) {
			row := src.Pix[src.PixOffset(r.Min.X, y):]
			for x := 0; x < len(dst); x += 4 {
				premulRGBA(dst[x:x+4], row[x], row[x+1], row[x+2], row[x+3], bg)
			}
		}, 4
	case *image.NRGBA:
		return func(y int, dst []byte) {
			row := src.Pix[src.PixOffset(r.Min.X, y):]
			for x := 0; x < len(dst); x += 4 {
				straightRGBA(dst[x:x+4], row[x], row[x+1], row[x+2], row[x+3], bg)
			}
		}, 4
	case *image.RGBA64:
		return func(y int, dst []byte) {
			row := src.Pix[src.PixOffset(r.Min.X, y):]
			for x := 0; x < len(dst); x += 4 {
				premulRGBA(dst[x:x+4], row[2*x], row[2*x+2], row[2*x+4], row[2*x+6], bg)
			}
		}, 4
	case *image.NRGBA64:
		return func(y int, dst []byte) {
			row := src.Pix[src.PixOffset(r.Min.X, y):]
			for x := 0; x < len(dst); x += 4 {
				straightRGBA(dst[x:x+4], row[2*x], row[2*x+2], row[2*x+4], row[2*x+6], bg)
			}
		}, 4
	case *image.CMYK:
		return func(y int, dst []byte) {
			row := src.Pix[src.PixOffset(r.Min.X, y):]
			for x := 0; x < len(dst); x += 4 {
				// The formula of color.CMYKToRGB, without the interface call.
				k := 0xffff - uint32(row[x+3])*0x101
				dst[x] = uint8((0xffff - uint32(row[x])*0x101) * k / 0xffff >> 8)
				dst[x+1] = uint8((0xffff - uint32(row[x+1])*0x101) * k / 0xffff >> 8)
				dst[x+2] = uint8((0xffff - uint32(row[x+2])*0x101) * k / 0xffff >> 8)
				dst[x+3] = 0xff
			}
		}, 4
	case *image.Paletted:
		return palettedRows(src, canvas, bg), 4
	}
	return genericRows(img, canvas, bg), 4
}

// premulRGBA flattens a premultiplied pixel onto bg: what shows through is
// bg scaled by the transparency.
func premulRGBA(dst []byte, r, g, b, a uint8, bg color.RGBA) {
	if a == 0xff {
		dst[0], dst[1], dst[2], dst[3] = r, g, b, 0xff
		return
	}
	t := 0xff - uint32(a)
	dst[0] = uint8(min(0xff, uint32(r)+(uint32(bg.R)*t+127)/0xff))
	dst[1] = uint8(min(0xff, uint32(g)+(uint32(bg.G)*t+127)/0xff))
	dst[2] = uint8(min(0xff, uint32(b)+(uint32(bg.B)*t+127)/0xff))
	dst[3] = 0xff
}

// straightRGBA flattens a non-premultiplied pixel onto bg.
func straightRGBA(dst []byte, r, g, b, a uint8, bg color.RGBA) {
	if a == 0xff {
		dst[0], dst[1], dst[2], dst[3] = r, g, b, 0xff
		return
	}
	o, t := uint32(a), 0xff-uint32(a)
	dst[0] = uint8((uint32(r)*o + uint32(bg.R)*t + 127) / 0xff)
	dst[1] = uint8((uint32(g)*o + uint32(bg.G)*t + 127) / 0xff)
	dst[2] = uint8((uint32(b)*o + uint32(bg.B)*t + 127) / 0xff)
	dst[3] = 0xff
}

// yCbCrRows converts YCbCr rows of any chroma subsampling to RGB, with the
// fixed-point formula of color.YCbCrToRGB for full-range samples and that of
// libwebp for studio-swing ones; a non-nil alpha plane (lossy WebP with
// transparency) is flattened onto bg afterwards.
func yCbCrRows(src *image.YCbCr, alpha []byte, aStride int, bg color.RGBA,
	studio bool) rowFunc {
	r := src.Rect
	// How many bits each chroma coordinate is shifted, per ratio.
	var sx, sy uint
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		sx = 1
	case image.YCbCrSubsampleRatio420:
		sx, sy = 1, 1
	case image.YCbCrSubsampleRatio440:
		sy = 1
	case image.YCbCrSubsampleRatio411:
		sx = 2
	case image.YCbCrSubsampleRatio410:
		sx, sy = 2, 1
	}
	return func(y int, dst []byte) {
		yRow := src.Y[(y-r.Min.Y)*src.YStride:]
		c0 := ((y >> sy) - (r.Min.Y >> sy)) * src.CStride
		cbRow, crRow := src.Cb[c0:], src.Cr[c0:]
		cMinX := r.Min.X >> sx
		for i := 0; i < r.Dx() && studio; i++ {
			ci := ((r.Min.X + i) >> sx) - cMinX
			yy := int32(yRow[i]) * 19077 >> 8
			cb, cr := int32(cbRow[ci]), int32(crRow[ci])
			d := dst[4*i : 4*i+4]
			d[0] = clampVP8(yy + cr*26149>>8 - 14234)
			d[1] = clampVP8(yy - cb*6419>>8 - cr*13320>>8 + 8708)
			d[2] = clampVP8(yy + cb*33050>>8 - 17685)
			d[3] = 0xff
		}
		for i := 0; i < r.Dx() && !studio; i++ {
			ci := ((r.Min.X + i) >> sx) - cMinX
			yy := int32(yRow[i]) * 0x10101
			cb := int32(cbRow[ci]) - 128
			cr := int32(crRow[ci]) - 128
			d := dst[4*i : 4*i+4]
			d[0] = clampFixed(yy + 91881*cr)
			d[1] = clampFixed(yy - 22554*cb - 46802*cr)
			d[2] = clampFixed(yy + 116130*cb)
			d[3] = 0xff
		}
		if alpha != nil {
			aRow := alpha[(y-r.Min.Y)*aStride:]
			for i := 0; i < r.Dx(); i++ {
				d := dst[4*i : 4*i+4]
				straightRGBA(d, d[0], d[1], d[2], aRow[i], bg)
			}
		}
	}
}

// clampFixed turns a 16.16 fixed-point channel into a byte, clamping to 0..255
// the way color.YCbCrToRGB does.
func clampFixed(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// clampVP8 turns a channel with 6 fractional bits into a byte, clamping to
// 0..255 the way libwebp's VP8Clip8 does.
func clampVP8(v int32) uint8 {
	if v&^(256<<6-1) == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 0xff
}

// palettedRows looks each index up in the palette, flattened once per image;
// canvas pixels outside the frame, and indices past the palette's end, show
// the background, as a browser shows them transparent.
func palettedRows(src *image.Paletted, canvas image.Rectangle, bg color.RGBA) rowFunc {
	var table [256][4]byte
	for i := range table {
		table[i] = [4]byte{bg.R, bg.G, bg.B, 0xff}
	}
	for i, c := range src.Palette {
		if i == len(table) {
			break
		}
		r, g, b, a := c.RGBA()
		premulRGBA(table[i][:], uint8(r>>8), uint8(g>>8), uint8(b>>8), uint8(a>>8), bg)
	}
	frame := src.Rect.Intersect(canvas)
	return func(y int, dst []byte) {
		if y < frame.Min.Y || y >= frame.Max.Y {
			fill(dst, bg)
			return
		}
		row := src.Pix[src.PixOffset(frame.Min.X, y):]
		for x := canvas.Min.X; x < canvas.Max.X; x++ {
			d := dst[4*(x-canvas.Min.X):]
			if x < frame.Min.X || x >= frame.Max.X {
				d[0], d[1], d[2], d[3] = bg.R, bg.G, bg.B, 0xff
				continue
			}
			copy(d[:4], table[row[x-frame.Min.X]][:])
		}
	}
}

// fill paints dst with the opaque background.
func fill(dst []byte, bg color.RGBA) {
	for x := 0; x+4 <= len(dst); x += 4 {
		dst[x], dst[x+1], dst[x+2], dst[x+3] = bg.R, bg.G, bg.B, 0xff
	}
}

// genericRows goes through image.Image's At for any type the decoders may
// return that has no fast path above. It is slow but correct.
func genericRows(img image.Image, canvas image.Rectangle, bg color.RGBA) rowFunc {
	return func(y int, dst []byte) {
		for x := canvas.Min.X; x < canvas.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			i := 4 * (x - canvas.Min.X)
			premulRGBA(dst[i:i+4], uint8(r>>8), uint8(g>>8), uint8(b>>8), uint8(a>>8), bg)
		}
	}
}

// parallelRows calls fn over bands of [0, n) on up to GOMAXPROCS goroutines,
// since a Lambda with more memory has more cores and the conversion is
// independent per row.
func parallelRows(n int, fn func(y0, y1 int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/16))
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range workers {
		y0, y1 := n*i/workers, n*(i+1)/workers
		wg.Go(func() { fn(y0, y1) })
	}
	wg.Wait()
}
