package imaging_test

import (
	"bytes"
	"testing"

	"github.com/imagepipe/imagepipe/shared/imaging"
)

// BenchmarkProcess12MP runs the resize step's job on a synthetic 4000×3000
// JPEG: three variants, each from the one above it. Real photographs decode
// more slowly (more detail to entropy-decode); `make bench` uses those.
func BenchmarkProcess12MP(b *testing.B) {
	data := encodeJPEGFixture(b, photo(4000, 3000))
	variants, err := imaging.ParseVariants("large:1600,medium:800,thumb:200")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := imaging.Process(bytes.NewReader(data),
			imaging.Options{Variants: variants}); err != nil {
			b.Fatal(err)
		}
	}
}
