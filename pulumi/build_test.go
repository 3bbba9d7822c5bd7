package main

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMakeBuildIsReproducible runs the Makefile's zip rule twice into a
// temporary build directory, for every Lambda whose steps/<name>/lambda
// package exists, and requires byte-identical zips holding one executable
// bootstrap. The first run costs what `make build` costs; -short skips it.
func TestMakeBuildIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every Lambda; skipped with -short")
	}
	if _, err := exec.LookPath("zip"); err != nil {
		t.Skip("zip is not installed")
	}
	var present []string
	for _, step := range steps {
		files, _ := filepath.Glob(filepath.Join("..", "steps", step, "lambda", "*.go"))
		if len(files) > 0 {
			present = append(present, step)
		}
	}
	if len(present) == 0 {
		t.Skip("no steps/<name>/lambda package exists yet")
	}

	build := t.TempDir()
	make := func() map[string][]byte {
		args := []string{"-C", "..", "BUILD=" + build}
		for _, step := range present {
			args = append(args, filepath.Join(build, step+".zip"))
		}
		out, err := exec.Command("make", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("make %v: %v\n%s", args, err, out)
		}
		zips := map[string][]byte{}
		for _, step := range present {
			b, err := os.ReadFile(filepath.Join(build, step+".zip"))
			if os.IsNotExist(err) {
				// GNU make searches no pattern rule for a .PHONY target, so
				// listing the zips in .PHONY turns their rule into a no-op.
				t.Fatalf("make wrote no %s.zip (it said %q): the zip rule must be a "+
					"static pattern rule, $(LAMBDAS:%%=$(BUILD)/%%.zip): $(BUILD)/%%.zip:, "+
					"while the zips are .PHONY", step, bytes.TrimSpace(out))
			}
			if err != nil {
				t.Fatal(err)
			}
			zips[step] = b
		}
		return zips
	}
	first, second := make(), make()

	for _, step := range present {
		if !bytes.Equal(first[step], second[step]) {
			t.Errorf("%s.zip differs between two builds", step)
		}
		r, err := zip.NewReader(bytes.NewReader(first[step]), int64(len(first[step])))
		if err != nil {
			t.Fatalf("%s.zip: %v", step, err)
		}
		if len(r.File) != 1 || r.File[0].Name != "bootstrap" ||
			r.File[0].Mode()&0o111 == 0 {
			t.Errorf("%s.zip must hold exactly one executable bootstrap: %v", step, r.File)
		}
	}
	t.Logf("byte-identical zips for %v", present)
}
