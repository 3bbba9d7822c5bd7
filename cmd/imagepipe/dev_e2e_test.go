package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// chromiumPath is Debian's chromium package.
const chromiumPath = "/usr/bin/chromium"

// TestBrowser runs the page in headless Chromium: sign in, upload two
// photos and a text file named .jpg, see the photos DONE with thumbnails
// and the text FAILED with its reason, open the failed execution and the
// metrics. Screenshots go to artifacts/ at the repository root.
//
// It needs Node, Chromium and `make browser-deps`; without them it skips,
// unless IMAGEPIPE_REQUIRE_NODE=1 (as `make test` sets), when it fails.
func TestBrowser(t *testing.T) {
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node (Node.js 20 or later)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" (apt-get install chromium)")
	}
	if _, err := os.Stat("e2e/node_modules/playwright-core/package.json"); err != nil {
		missing = append(missing, "cmd/imagepipe/e2e/node_modules (make browser-deps)")
	}
	if len(missing) > 0 {
		if os.Getenv("IMAGEPIPE_REQUIRE_NODE") == "1" {
			t.Fatalf("the browser test needs %v", missing)
		}
		t.Skipf("the browser test needs %v; set IMAGEPIPE_REQUIRE_NODE=1 to fail instead",
			missing)
	}

	files := t.TempDir()
	var done []string
	for _, name := range []string{"photo.jpg", "dune.png"} {
		path := filepath.Join(files, name)
		if err := os.WriteFile(path, readSample(t, name), 0o600); err != nil {
			t.Fatal(err)
		}
		done = append(done, path)
	}
	// Text with a .jpg name: the browser declares it image/jpeg, the upload
	// API accepts that type, and only the pipeline's sniffing rejects it.
	notImage := filepath.Join(files, "not-an-image.jpg")
	if err := os.WriteFile(notImage, readSample(t, "README.md"), 0o600); err != nil {
		t.Fatal(err)
	}

	artifacts, err := filepath.Abs(filepath.Join("..", "..", "artifacts", "browser",
		time.Now().UTC().Format("20060102T150405Z")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", artifacts)

	cfg := testConfig(t)
	// Resize takes a while, as it does for a large photo, so that the page
	// has a running image to show.
	cfg.wrapTask = func(function string, h engine.Handler) engine.Handler {
		if function != "resize" {
			return h
		}
		return func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			select {
			case <-time.After(1500 * time.Millisecond):
			case <-ctx.Done():
			}
			return h(ctx, in)
		}
	}
	s := startTest(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "e2e/browser.mjs")
	cmd.Env = append(os.Environ(),
		"BASE_URL="+s.URL,
		"DONE_FILES="+string(mustJSON(t, done)),
		"FAILED_FILES="+string(mustJSON(t, []string{notImage})),
		"ORIGINALS="+s.p.Stack.OriginalsBucket,
		"ARTIFACTS="+artifacts,
		"USER_DATA_DIR="+t.TempDir(),
	)
	cmd.Stdout, cmd.Stderr = t.Output(), t.Output()
	if err := cmd.Run(); err != nil {
		t.Fatalf("the browser script failed (%v); screenshots in %s", err, artifacts)
	}

	// What the page showed is what the table holds.
	ids, err := s.p.Store.IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, id := range ids {
		item, _, err := s.p.Store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		count[item.Status]++
	}
	if count[stepio.StatusDone] != 2 || count[stepio.StatusFailed] != 1 {
		t.Errorf("items by status %v, want 2 DONE and 1 FAILED", count)
	}
}
