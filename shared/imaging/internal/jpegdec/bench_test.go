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

// BenchmarkScanBomb decodes a 50 MP file of MaxScans scans (300 KB), all
// but its DC scan end-of-band runs, beside the same frame with 10 scans, as
// many as an encoder's script: the most a file within the caps can cost, at
// the scale Process would choose and through image/jpeg (the CMYK path).
func BenchmarkScanBomb(b *testing.B) {
	const w, h = 8660, 5773
	for _, c := range []struct {
		name  string
		scans int
	}{{"10-scans", 9}, {"max-scans", MaxScans - 1}} {
		f := scanBomb(w, h, 3, c.scans)
		b.Run(c.name+"/2-8", func(b *testing.B) {
			for b.Loop() {
				if _, err := Decode(bytes.NewReader(f), 2); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/image-jpeg", func(b *testing.B) {
			for b.Loop() {
				if _, err := jpeg.Decode(LimitScans(bytes.NewReader(f))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
