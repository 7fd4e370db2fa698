package installer

import (
	"path/filepath"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
)

// TestVerifyMirrorDisk: before the mirror, verify wants room for a
// release payload; once mirrored, only the margin (the payload is on the
// disk already, so demanding 20 GiB more failed full bastions).
func TestVerifyMirrorDisk(t *testing.T) {
	t.Parallel()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rc := &RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{Root: t.TempDir()}), state: &State{}}
	need := func() uint64 {
		for _, d := range verifyBastion(rc).Disks {
			if d.Dir == registryLayout(rc).DataDir {
				return d.Need
			}
		}
		t.Fatal("verify does not check the mirror registry's disk")
		return 0
	}
	if got := need(); got != 20<<30 {
		t.Errorf("before the mirror: need %d, want 20 GiB", got)
	}
	rc.state.set(PhaseMirror, &PhaseState{Status: StatusDone})
	if got := need(); got != 1<<30 {
		t.Errorf("once mirrored: need %d, want the 1 GiB margin", got)
	}
}
