package main

import (
	"fmt"
	"image"
	"image/jpeg"
	"os"

	"github.com/imagepipe/imagepipe/shared/imaging/internal/similarity"
)

// loadReference decodes an original with the standard library, for
// Lanczos3 references of it (github.com/nfnt/resize, 16-bit, from the full
// resolution in one pass).
func loadReference(path string) (*similarity.Reference, error) {
	img, err := decodeFile(path)
	if err != nil {
		return nil, err
	}
	return similarity.NewReference(img), nil
}

func decodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// compare decodes the thumbnail at path and measures it against the
// reference of its own size, so that a contestant that rounds a dimension
// the other way is not punished for it.
func compare(ref *similarity.Reference, path string) (similarity.Result, error) {
	img, err := decodeFile(path)
	if err != nil {
		return similarity.Result{}, err
	}
	return ref.Compare(img), nil
}
