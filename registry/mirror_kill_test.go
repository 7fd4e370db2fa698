package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
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
	// Rate limits blob data to this many bytes a second (0: no limit).
	Rate int64
}

// slowTransport delays blob data requests (the PUT, or a PATCH, with the bytes).
type slowTransport struct {
	base  http.RoundTripper
	delay time.Duration
	rate  int64 // bytes a second of blob data, 0: unlimited
}

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if isBlobData(r) {
		time.Sleep(s.delay)
		if s.rate > 0 && r.Body != nil {
			r = r.Clone(r.Context())
			r.Body = &throttled{ReadCloser: r.Body, rate: s.rate, start: time.Now()}
		}
	}
	return s.base.RoundTrip(r)
}

// throttled reads at most rate bytes a second.
type throttled struct {
	io.ReadCloser
	rate  int64
	start time.Time
	n     int64
}

func (t *throttled) Read(p []byte) (int, error) {
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	if ahead := time.Duration(float64(t.n)/float64(t.rate)*float64(time.Second)) - time.Since(t.start); ahead > 0 {
		time.Sleep(ahead)
	}
	n, err := t.ReadCloser.Read(p)
	t.n += int64(n)
	return n, err
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
	o := MirrorOptions{Release: j.Release, Registry: j.Registry, Repository: j.Repository, PullSecret: j.PullSecret,
		Concurrency: cmp.Or(j.Concurrency, 2), Pins: j.Pins, CACert: j.CACert}
	base, err := o.transport() // Mirror's own
	if err != nil {
		t.Fatal(err)
	}
	if j.Delay > 0 || j.Rate > 0 {
		o.Transport = slowTransport{base: base, delay: j.Delay, rate: j.Rate}
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

// TestMirrorKilledDuringALargeBlob kills the mirror half-way through a
// 48 MiB blob and measures what the re-run sends again: the blobs the
// registry committed are not re-sent; the cut blob is, from its start,
// because distribution cancels an upload whose stored size is past the
// offset it last acknowledged (and a request cut by a kill always leaves
// it so), so only the bytes of that one blob are lost.
func TestMirrorKilledDuringALargeBlob(t *testing.T) {
	t.Parallel()
	const big = 48 << 20
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 4, Layout: &synthrelease.Layout{
		Base: []int64{64 << 10}, Unique: []int64{big, 96 << 10, 80 << 10, 72 << 10}}})
	tr := startTestRegistry(t)
	o := tr.mirrorOptions(t, rel.Image)
	job, _ := json.Marshal(helperJob{Release: o.Release, Registry: o.Registry, Repository: o.Repository, Pins: o.Pins,
		CACert: o.CACert, PullSecret: o.PullSecret, Rate: 12 << 20})
	cmd := exec.Command(os.Args[0], "-test.run=^TestMirrorHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(job))
	out := &testenv.SafeBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	uploads := filepath.Join(tr.In.Layout.DataDir, "docker/registry/v2/repositories", o.Repository, "_uploads")
	partial := waitPartial(t, uploads, big/3)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	time.Sleep(200 * time.Millisecond) // let the registry write what it received
	first, off := tr.uploads(0)
	received := partialBytes(uploads)

	counter := &countingTransport{base: mustTransport(t, o)}
	o.Transport = counter
	ctx := testenv.Context(t, 2*time.Minute)
	m, err := Mirror(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := tr.uploads(off)
	for d := range second.Commits {
		if first.Commits[d] {
			t.Errorf("blob %s was committed before the kill and sent again", d)
		}
	}
	resent := counter.sent.Load()
	if resent < big || resent > big+received || len(first.Commits)+len(second.Commits) != rel.Blobs {
		t.Errorf("re-run sent %d bytes in %d blobs after %d were committed; want the %d-byte blob and the blobs not yet sent", resent, len(second.Commits), len(first.Commits), big)
	}
	if missing, err := CheckMirrored(ctx, o, m); err != nil || len(missing) != 0 {
		t.Fatalf("after resuming: missing %v, err %v", missing, err)
	}
	t.Logf("killed %.1f MiB into a %.1f MiB blob (%d blobs committed); the registry held %.1f MiB of the cut upload; the re-run sent %.1f MiB: the cut blob again (%.1f MiB re-sent) and %d blobs not sent before",
		float64(partial)/(1<<20), float64(big)/(1<<20), len(first.Commits), float64(received)/(1<<20), float64(resent)/(1<<20), float64(received)/(1<<20), len(second.Commits)-1)
}

// waitPartial waits until an upload under dir holds at least n bytes.
func waitPartial(t *testing.T, dir string, n int64) int64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if got := partialBytes(dir); got >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no upload of %d bytes under %s within 60 s", n, dir)
	return 0
}

// partialBytes sums the data of the registry's open uploads under dir.
func partialBytes(dir string) int64 {
	_, total := partialUploads(dir)
	return total
}

// partialUploads counts the registry's open uploads under dir and their data.
func partialUploads(dir string) (n int, total int64) {
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Name() == "data" && fi.Size() > 0 {
			n++
			total += fi.Size()
		}
		return nil
	})
	return n, total
}

// countingTransport counts the blob data sent (PATCH and PUT bodies).
type countingTransport struct {
	base http.RoundTripper
	sent atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if isBlobData(r) {
		r = r.Clone(r.Context())
		r.Body = &countingBody{ReadCloser: r.Body, n: &c.sent}
	}
	return c.base.RoundTrip(r)
}

// isBlobData is a request carrying blob bytes to the mirror.
func isBlobData(r *http.Request) bool {
	return (r.Method == http.MethodPatch || r.Method == http.MethodPut) && r.Body != nil && r.Body != http.NoBody &&
		strings.Contains(r.URL.Path, "/blobs/uploads/")
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// mustTransport is the transport Mirror builds for o.
func mustTransport(t testing.TB, o MirrorOptions) http.RoundTripper {
	tr, err := o.transport()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
