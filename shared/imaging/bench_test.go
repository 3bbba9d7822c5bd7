package imaging_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/imagepipe/imagepipe/shared/imaging"
)

// BenchmarkProcess12MP runs the resize step's job on a synthetic 4000×3000
// JPEG: three variants, each from the one above it. Real photographs decode
// more slowly (more detail to entropy-decode); BenchmarkProcessPhotos and
// bench/run.sh use those.
func BenchmarkProcess12MP(b *testing.B) {
	benchmarkProcess(b, encodeJPEGFixture(b, photo(4000, 3000)))
}

// BenchmarkProcessPhotos runs the job in this process on each photograph
// that bench/run.sh prepared, for profiling (-cpuprofile) and allocation
// counts. The side-by-side comparison with libvips is run.sh's, in child
// processes measured by rusage.
func BenchmarkProcessPhotos(b *testing.B) {
	photos, _ := filepath.Glob(filepath.Join("bench", ".cache", "photos", "*.jpg"))
	if len(photos) == 0 {
		b.Skip("no photographs: run shared/imaging/bench/run.sh (make bench-resize) " +
			"to fetch them from Debian's wallpaper packages")
	}
	for _, p := range photos {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(p), func(b *testing.B) { benchmarkProcess(b, data) })
	}
}

func benchmarkProcess(b *testing.B, data []byte) {
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
