package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lambdaEnv is the environment `make build` compiles the Lambdas in, so that
// the checks below see the same files the build does.
var lambdaEnv = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}

// stepPackages reports whether steps/ holds any Go package yet.
func stepPackages(t *testing.T) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir("../steps", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return found
}

// The Lambdas must not link the Pulumi SDK: it would multiply their build time
// and their zip size.
func TestStepsImportNothingFromPulumi(t *testing.T) {
	if !stepPackages(t) {
		t.Skip("steps/ has no Go packages yet")
	}
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc",
		"-f", "{{.ImportPath}}", "./steps/...")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), lambdaEnv...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./steps/...: %v\n%s", err, stderr(err))
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		if strings.HasPrefix(dep, "github.com/pulumi/") {
			t.Errorf("steps/ depends on %s", dep)
		}
	}
	t.Logf("%d packages in the Lambdas' dependency graph", len(deps))
}

// stderr returns what a failed command wrote to standard error.
func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
