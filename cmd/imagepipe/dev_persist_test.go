package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/imagepipe/imagepipe/shared/stepio"
	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// TestStateSurvivesRestart starts the stack on a data directory, puts an
// image through, stops it, starts it again on the same directory, and finds
// the same user's image DONE with its thumbnail, and its execution with
// its history.
func TestStateSurvivesRestart(t *testing.T) {
	cfg := testConfig(t)
	cfg.DataDir = t.TempDir()

	s1, err := startDev(testCtx(t), t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c1 := signIn(t, s1, "ada")
	id := c1.upload(readSample(t, "photo.jpg"), "image/jpeg")
	idle(t, s1)
	before := c1.execution(c1.executionOf(id).Name)
	kid := s1.auth.kid
	if err := s1.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	s2 := startTest(t, cfg)
	if s2.auth.kid != kid {
		t.Errorf("the signing key changed across the restart")
	}
	c2 := signIn(t, s2, "ada")
	img, st := c2.image(id)
	if st != 200 || img.Status != stepio.StatusDone || len(img.Variants) == 0 {
		t.Fatalf("after the restart GET /images/%s: %d %+v", id, st, img)
	}
	if code, _, body := get(t, img.Variants[0].URL); code != 200 || len(body) == 0 {
		t.Errorf("after the restart the rendition answers %d with %d bytes", code, len(body))
	}
	var list struct {
		Images []image `json:"images"`
	}
	if c2.do("GET", "/images", nil, &list); len(list.Images) != 1 || list.Images[0].ImageID != id {
		t.Errorf("after the restart GET /images lists %+v, want only %s", list.Images, id)
	}
	after := c2.execution(before.Execution.Name)
	if after.Execution.Status != "SUCCEEDED" || len(after.States) != len(before.States) {
		t.Errorf("after the restart the execution is %s with %d states, want SUCCEEDED "+
			"with %d", after.Execution.Status, len(after.States), len(before.States))
	}

	// The restored stack keeps working: a second upload goes through, and
	// the first is not processed again.
	id2 := c2.upload(readSample(t, "dune.png"), "image/png")
	idle(t, s2)
	if img, _ := c2.image(id2); img.Status != stepio.StatusDone {
		t.Errorf("a new upload after the restart ended %s", img.Status)
	}
	all, _ := s2.p.Machine.List(engine.ListFilter{})
	if len(all) != 2 {
		t.Errorf("%d executions after the restart, want 2 (one per upload)", len(all))
	}
}

// TestShutdownLosesNoAcceptedUpload stops the stack while two executions
// are stuck in Resize and a third upload's event is still in the queue (its
// PUT answered 200, the pipe had not taken it). The snapshot holds both
// kinds, and after the restart all three images end DONE: the stuck ones by
// a redrive from Resize, the queued one by a new execution.
func TestShutdownLosesNoAcceptedUpload(t *testing.T) {
	cfg := testConfig(t)
	cfg.DataDir = t.TempDir()
	// Short, because the stuck handlers never finish by themselves; nothing
	// is asserted about time.
	cfg.ShutdownTimeout = 1
	entered := make(chan struct{}, 2)
	stuck := cfg
	stuck.wrapTask = func(function string, h engine.Handler) engine.Handler {
		if function != "resize" {
			return h
		}
		return func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			entered <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}
	}

	s1, err := startDev(testCtx(t), t, stuck)
	if err != nil {
		t.Fatal(err)
	}
	c1 := signIn(t, s1, "ada")
	a := c1.upload(readSample(t, "photo.jpg"), "image/jpeg")
	b := c1.upload(readSample(t, "dune.png"), "image/png")
	for range 2 {
		<-entered
	}
	// The pipe stops before the third upload, so its event stays queued as
	// it would if the shutdown's wait ran out before the pipe got to it.
	s1.p.Pipe.Stop()
	queued := c1.upload(readSample(t, "wood.gif"), "image/gif")
	if err := s1.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	st, err := loadState(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Queue) != 1 || !strings.Contains(st.Queue[0], queued) {
		t.Errorf("the snapshot's queue holds %d messages, want the third upload's", len(st.Queue))
	}
	if len(st.Redrive) != 2 {
		t.Errorf("the snapshot redrives %d executions, want the 2 stuck ones", len(st.Redrive))
	}

	s2 := startTest(t, cfg)
	idle(t, s2)
	c2 := signIn(t, s2, "ada")
	for _, id := range []string{a, b, queued} {
		if img, st := c2.image(id); st != 200 || img.Status != stepio.StatusDone {
			t.Errorf("image %s after the restart: %d %s %s", id, st, img.Status, img.Reason)
		}
	}
	for _, id := range []string{a, b} {
		x := c2.execution(c2.executionOf(id).Name)
		if x.Execution.Status != "SUCCEEDED" || x.Execution.RedriveCount != 1 {
			t.Errorf("execution of %s: %s, redriven %d times; want SUCCEEDED after 1 redrive",
				id, x.Execution.Status, x.Execution.RedriveCount)
		}
	}
}

// TestCtrlC runs the command itself on a data directory, uploads an image,
// sends the process SIGINT and checks that the command exits 0 with the
// image saved.
func TestCtrlC(t *testing.T) {
	dir := t.TempDir()
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- runDev([]string{"--addr", "127.0.0.1:0", "--data-dir", dir,
			"--metrics-every", "0", "--log-level", "warn"}, outW, t.Output())
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (exit %d)", err, <-code)
	}
	go io.Copy(io.Discard, outR)
	base := strings.Fields(strings.TrimPrefix(line, "imagepipe dev: open "))[0]

	c := &client{t: t, base: base}
	var tok struct {
		Token string `json:"id_token"`
	}
	c.do("POST", "/dev/token", map[string]string{"username": "ada"}, &tok)
	c.token = tok.Token
	id := c.upload(smallJPEG(t, 7), "image/jpeg")

	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if got := <-code; got != 0 {
		t.Fatalf("exit code %d after SIGINT, want 0", got)
	}

	st, err := loadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range st.Items {
		if v, ok := it["imageId"]; ok && strings.Contains(string(mustJSON(t, v)), id) {
			found = true
		}
	}
	// Accepted means processed before the exit or kept to be processed
	// after the restart: an item, a queued message or an execution to redrive.
	if !found && len(st.Queue) == 0 && len(st.Redrive) == 0 {
		t.Errorf("the upload %s is nowhere in the snapshot in %s", id,
			filepath.Join(dir, snapshotDir))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
