package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
)

// helperEnv carries the mirror a helper process runs.
const helperEnv = "OKDCTL_TEST_MIRROR_HELPER"

type helperJob struct {
	Release, Registry, Repository string
	Pins                          map[string]string
	CACert, PullSecret            []byte
	// Delay slows every blob upload so that the parent can kill mid-way.
	Delay time.Duration
	// Concurrency of the mirror (default 2).
	Concurrency int
}

// slowTransport delays blob data (PATCH) requests.
type slowTransport struct {
	base  http.RoundTripper
	delay time.Duration
}

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPatch {
		time.Sleep(s.delay)
	}
	return s.base.RoundTrip(r)
}

// TestMirrorHelperProcess is the mirror run as a separate process by
// TestMirrorResumesAfterKill; on its own it does nothing.
func TestMirrorHelperProcess(t *testing.T) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		return
	}
	var j helperJob
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		t.Fatal(err)
	}
	base, err := NewTransport(TransportOptions{CACert: j.CACert, Pins: j.Pins, TLSHosts: []string{j.Registry}})
	if err != nil {
		t.Fatal(err)
	}
	o := MirrorOptions{Release: j.Release, Registry: j.Registry, Repository: j.Repository, PullSecret: j.PullSecret,
		Concurrency: cmp.Or(j.Concurrency, 2), Transport: base}
	if j.Delay > 0 {
		o.Transport = slowTransport{base, j.Delay}
	}
	if _, err := Mirror(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	printPeakRSS()
}

func TestMirrorResumesAfterKill(t *testing.T) {
	t.Parallel()
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 5})
	tr := startTestRegistry(t)
	o := tr.mirrorOptions(t, rel.Image)
	job, _ := json.Marshal(helperJob{Release: o.Release, Registry: o.Registry, Repository: o.Repository, Pins: o.Pins,
		CACert: o.CACert, PullSecret: o.PullSecret, Delay: 80 * time.Millisecond})
	_, off := tr.uploads(0)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMirrorHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(job))
	out := &testenv.SafeBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := waitCommits(t, tr, off, 3)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the mirror process was not killed mid-way (err %v):\n%s", err, out)
	}
	time.Sleep(100 * time.Millisecond) // let the registry log the last requests
	first, off = tr.uploads(off)
	if len(first.Commits) >= rel.Blobs {
		t.Fatalf("the killed mirror had committed all %d blobs", rel.Blobs)
	}

	ctx := testenv.Context(t, 2*time.Minute)
	var last Progress
	o.Progress = func(p Progress) { last = p }
	m, err := Mirror(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := tr.uploads(off)
	for d := range second.Commits {
		if first.Commits[d] {
			t.Errorf("blob %s was sent again after the kill", d)
		}
	}
	if len(first.Commits)+len(second.Commits) != rel.Blobs {
		t.Errorf("blobs committed: %d before the kill, %d after; want %d in all", len(first.Commits), len(second.Commits), rel.Blobs)
	}
	if missing, err := CheckMirrored(ctx, o, m); err != nil || len(missing) != 0 {
		t.Fatalf("after resuming: missing %v, err %v", missing, err)
	}
	t.Logf("killed after %d blobs; the re-run sent %d and skipped %d", len(first.Commits), len(second.Commits), last.BlobsSkipped)
}

// waitCommits waits until the registry log shows n committed blobs after off.
func waitCommits(t *testing.T, tr *testRegistry, off, n int) uploadLog {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		u, _ := tr.uploads(off)
		if len(u.Commits) >= n {
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d blob commits within 30 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
