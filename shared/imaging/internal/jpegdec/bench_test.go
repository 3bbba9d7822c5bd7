package jpegdec

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode compares the decoder at several scales with image/jpeg on
// the resize benchmark's photographs, when `make bench-resize` has fetched
// them (they are not in the repository).
func BenchmarkDecode(b *testing.B) {
	photos, _ := filepath.Glob("../../bench/.cache/photos/*.jpg")
	if len(photos) == 0 {
		b.Skip("no photos: run make bench-resize first")
	}
	for _, p := range photos {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		name := filepath.Base(p)
		b.Run(name+"/image-jpeg", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, n := range []int{8, 4, 3, 2, 1} {
			b.Run(fmt.Sprintf("%s/%d-8", name, n), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := Decode(bytes.NewReader(data), n); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
