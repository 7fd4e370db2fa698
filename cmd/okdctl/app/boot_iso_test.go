package app

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBootISOCustomizeOneNode: `okdctl boot NODE -o iso-customize` prints
// the script for that node alone, with coreos-installer's iso customize flags.
func TestBootISOCustomizeOneNode(t *testing.T) {
	t.Parallel()
	spec := filepath.Join(copyExamples(t), "lab.yaml")
	out, errOut, code := run(t, "boot", "master", "-f", spec, "-o", "iso-customize")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `coreos-installer iso customize --dest-ignition master.ign --dest-device /dev/sda --network-keyfile master.nmconnection -f -o master.iso "$LIVE_ISO"`
	if !strings.Contains(out, want) || !strings.Contains(out, "interface-name=ens787f0\n") || strings.Contains(out, "worker") {
		t.Errorf("boot master -o iso-customize:\n%s", out)
	}
}
