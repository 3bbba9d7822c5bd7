package imaging_test

import (
	"image"
	"image/png"
	"io"
)

func encodePNG(w io.Writer, img image.Image) error {
	return (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, img)
}
