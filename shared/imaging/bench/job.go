package main

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg" // the decode-only contestant
	"io"
	"os"
	"path/filepath"

	"github.com/imagepipe/imagepipe/shared/imaging"
	"github.com/imagepipe/imagepipe/shared/imaging/internal/jpegdec"
)

// The child modes: what one measured process does. Each runs in its own
// process so that its CPU time and peak RSS come from the kernel's rusage
// of that child alone, as they do for the C and command-line contestants.

// variantSpec is the resize step's job in every contestant.
const variantSpec = "large:1600,medium:800,thumb:200"

// runJob does the resize step's work on one file, as the Lambda does: the
// file is streamed through a 64 KiB buffer, as the S3 body is, and the
// outputs are written to dir as NAME.jpg.
func runJob(in, dir string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	variants, err := imaging.ParseVariants(variantSpec)
	if err != nil {
		return err
	}
	out, err := imaging.Process(bufio.NewReaderSize(f, 64<<10),
		imaging.Options{Variants: variants, Quality: 85})
	if err != nil {
		return err
	}
	for _, o := range out {
		if err := os.WriteFile(filepath.Join(dir, o.Name+".jpg"), o.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// runDecode only decodes the file with the standard library: the fixed cost
// under every Go contestant.
func runDecode(in string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, err := image.Decode(bufio.NewReaderSize(f, 64<<10)); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return nil
}

// runDecodeScaled only decodes the file with the package's own decoder, at
// the scale the job decodes it at for its 1600 px variant (jpegdec.ScaleFor
// on the long edge, as decodeJPEGPlanes does on both).
func runDecodeScaled(in string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, err := jpeg.DecodeConfig(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	long := max(cfg.Width, cfg.Height)
	target := min(long, 1600)
	eighths := jpegdec.ScaleFor(long, long, target, target)
	if _, err := jpegdec.Decode(bufio.NewReaderSize(f, 64<<10), eighths); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return nil
}
