package imaging

// orient returns p turned and flipped as EXIF orientation o says it is
// displayed. It is applied to each finished variant, where it costs least,
// rather than to the decoded original: the filter is the same along both
// axes, so resizing first and orienting after gives the same picture.
//
// Chroma planes are turned like luma. When a flipped edge has an odd number
// of pixels, the last chroma sample covered one pixel instead of two, so the
// chroma of the mirrored picture sits up to half a pixel off; at a variant's
// size that is invisible.
func (p planar) orient(o int) planar {
	if o < 2 || o > 8 {
		return p
	}
	out := planar{w: p.w, h: p.h, planes: make([]plane, len(p.planes))}
	if o >= 5 {
		out.w, out.h = p.h, p.w
	}
	for i, pl := range p.planes {
		out.planes[i] = orientPlane(pl, o)
	}
	return out
}

// orientPlane returns pl turned and flipped for orientation o (2 to 8).
func orientPlane(pl plane, o int) plane {
	w, h := pl.w, pl.h
	out := newPlane(w, h, pl.ux, pl.uy)
	if o >= 5 {
		out = newPlane(h, w, pl.uy, pl.ux)
	}

	// Display sample (x, y) is stored at base + x*dx + y*dy.
	right, bottom := w-1, (h-1)*pl.stride
	var base, dx, dy int
	switch o {
	case 2: // mirrored left to right
		base, dx, dy = right, -1, pl.stride
	case 3: // turned half way
		base, dx, dy = right+bottom, -1, -pl.stride
	case 4: // mirrored top to bottom
		base, dx, dy = bottom, 1, -pl.stride
	case 5: // mirrored along the main diagonal
		base, dx, dy = 0, pl.stride, 1
	case 6: // stored a quarter turn anticlockwise: turn it clockwise
		base, dx, dy = bottom, -pl.stride, 1
	case 7: // mirrored along the other diagonal
		base, dx, dy = right+bottom, -pl.stride, -1
	case 8: // stored a quarter turn clockwise: turn it anticlockwise
		base, dx, dy = right, pl.stride, -1
	}
	parallelRows(out.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			s := base + y*dy
			for x := range out.row(y) {
				out.pix[y*out.stride+x] = pl.pix[s]
				s += dx
			}
		}
	})
	return out
}
