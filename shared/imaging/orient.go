package imaging

import "image"

// orient returns the working image img (an *image.RGBA or *image.Gray at the
// origin) turned and flipped as EXIF orientation o says it is displayed.
// It is applied to each finished variant, where it costs least, rather than
// to the decoded original: the Lanczos filter is the same along both axes, so
// resizing first and orienting after gives the same picture.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	var pix []byte
	var stride, bpp int
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride, bpp = m.Pix, m.Stride, 4
	case *image.Gray:
		pix, stride, bpp = m.Pix, m.Stride, 1
	default:
		// Not reached, as scale returns only those two; converting keeps even
		// a mistake from panicking.
		return orient(toWorking(img, img.Bounds(), 1, DefaultBackground, false), o)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}

	// Display pixel (x, y) is stored at base + x*dx + y*dy, in bytes.
	right, bottom := (w-1)*bpp, (h-1)*stride
	var base, dx, dy int
	switch o {
	case 2: // mirrored left to right
		base, dx, dy = right, -bpp, stride
	case 3: // turned half way
		base, dx, dy = right+bottom, -bpp, -stride
	case 4: // mirrored top to bottom
		base, dx, dy = bottom, bpp, -stride
	case 5: // mirrored along the main diagonal
		base, dx, dy = 0, stride, bpp
	case 6: // stored a quarter turn anticlockwise: turn it clockwise
		base, dx, dy = bottom, -stride, bpp
	case 7: // mirrored along the other diagonal
		base, dx, dy = right+bottom, -stride, -bpp
	case 8: // stored a quarter turn clockwise: turn it anticlockwise
		base, dx, dy = right, stride, -bpp
	}

	rect := image.Rect(0, 0, dw, dh)
	var out image.Image
	var dst []byte
	if bpp == 1 {
		g := image.NewGray(rect)
		out, dst = g, g.Pix
	} else {
		c := image.NewRGBA(rect)
		out, dst = c, c.Pix
	}
	parallelRows(dh, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			s, d := base+y*dy, y*dw*bpp
			for x := 0; x < dw; x++ {
				copy(dst[d:d+bpp], pix[s:s+bpp])
				s += dx
				d += bpp
			}
		}
	})
	return out
}
