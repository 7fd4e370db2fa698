package registry

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
)

// killResumeRun mirrors rel with concurrency c in a child process, kills
// it (SIGKILL) once after has passed, and mirrors again in this process:
// what the registry committed before the kill must not be sent again; the
// bytes sent twice are those of the cut uploads (the registry drops a
// half-received blob, so each is sent again from its start).
func killResumeRun(b *testing.B, rel *synthrelease.Release, c int, after time.Duration) string {
	tr := startTestRegistry(b)
	o := tr.mirrorOptions(b, rel.Image)
	o.Concurrency = c
	job, _ := json.Marshal(helperJob{Release: o.Release, Registry: o.Registry, Repository: o.Repository, Pins: o.Pins,
		CACert: o.CACert, PullSecret: o.PullSecret, Concurrency: c})
	cmd := exec.Command(os.Args[0], "-test.run=^TestMirrorHelperProcess$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(job))
	out := &testenv.SafeBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(after)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		b.Fatalf("the mirror finished before the kill after %s:\n%s", after, out)
	}
	time.Sleep(200 * time.Millisecond) // let the registry write what it received
	first, off := tr.uploads(0)
	cutN, cut := partialUploads(filepath.Join(tr.In.Layout.DataDir, "docker/registry/v2/repositories", o.Repository, "_uploads"))

	var last Progress
	o.Progress = func(p Progress) { last = p }
	counter := &countingTransport{base: mustTransport(b, o)}
	o.Transport = counter
	if _, err := Mirror(testenv.Context(b, 10*time.Minute), o); err != nil {
		b.Fatal(err)
	}
	second, _ := tr.uploads(off)
	for d := range second.Commits {
		if first.Commits[d] {
			b.Fatalf("blob %s was committed before the kill and sent again", d)
		}
	}
	if counter.sent.Load() != last.BytesUploaded || last.BytesDone != last.BytesTotal || last.ImagesDone != last.ImagesTotal {
		b.Fatalf("the re-run sent %d bytes, its progress says %+v", counter.sent.Load(), last)
	}
	b.ReportMetric(float64(cut)/1e6, "MB-re-sent")
	b.ReportMetric(float64(len(first.Commits)), "blobs-committed-before")
	b.ReportMetric(0, "ns/op")
	return fmt.Sprintf("killed after %s: %d of %d blobs committed (%.1f MB), none sent again; the %d uploads cut held %.1f MB, sent again from their start; the re-run sent %.1f MB",
		after.Round(100*time.Millisecond), len(first.Commits), rel.Blobs, float64(rel.Bytes-last.BytesUploaded)/1e6,
		cutN, float64(cut)/1e6, float64(last.BytesUploaded)/1e6)
}
