package installer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/ignition"
)

// TestBootFlowISOCustomize: the boot phase writes the iso-customize script
// (the same as `okdctl boot -o iso-customize`) and each node's keyfile;
// run against nginx serving the published ignition, the script hands
// coreos-installer each node's checked ignition, disk and keyfile.
func TestBootFlowISOCustomize(t *testing.T) {
	f := newFlow(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	f.setClock(t, t0.Add(time.Hour), t0)
	f.mustApply(t, ApplyOptions{}, flowPhasesDone...)
	rc := f.rc(t)
	startNginx(t, rc.WebRoot(), f.port)
	boot := rc.StatePath(DirBoot)
	written, err := os.ReadFile(filepath.Join(boot, "iso-customize.sh"))
	if err != nil {
		t.Fatal(err)
	}
	printed, err := BootOutput(f.c, BootOptions{Format: ignition.FormatISOCustomize, StateDir: rc.StateDir()})
	if err != nil || string(printed) != string(written) {
		t.Fatalf("okdctl boot -o iso-customize differs from the boot phase's script (%v)", err)
	}
	for _, n := range f.c.Spec.Nodes {
		got, _ := os.ReadFile(filepath.Join(boot, n.Name+".nmconnection"))
		if string(got) != ignition.NetworkKeyfile(NodeIgnition(f.c, n)) {
			t.Errorf("%s.nmconnection is not the node's keyfile:\n%s", n.Name, got)
		}
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	fake := "#!/bin/sh\necho \"$@\" >> \"$RECORD\"\n"
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "coreos-installer"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", filepath.Join(boot, "iso-customize.sh"))
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "LIVE_ISO=live.iso", "RECORD="+filepath.Join(work, "record"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("iso-customize.sh failed: %v\n%s", err, out)
	}
	record, _ := os.ReadFile(filepath.Join(work, "record"))
	hashes := f.hashes(t)
	for _, n := range f.c.Spec.Nodes {
		line := "iso customize --dest-ignition " + n.Name + ".ign --dest-device /dev/sda --network-keyfile " + n.Name + ".nmconnection -f -o " + n.Name + ".iso live.iso"
		if !strings.Contains(string(record), line+"\n") {
			t.Errorf("coreos-installer was not run for %s:\n%s", n.Name, record)
		}
		body, _ := os.ReadFile(filepath.Join(work, n.Name+".ign"))
		if ignition.SHA512(body) != hashes[n.Name] {
			t.Errorf("%s.ign is not the published ignition", n.Name)
		}
	}
}
