package app

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAddNodeRefusals: add-node adds spec workers of a reachable cluster only.
func TestAddNodeRefusals(t *testing.T) {
	t.Parallel()
	spec := filepath.Join(copyExamples(t), "sandbox.yaml")
	root := t.TempDir()
	for node, want := range map[string]string{
		"m0": "ERROR: node m0 is a master: add-node adds workers only",
		"w9": `ERROR: node "w9" is not in`,
		"w0": "ERROR: failed to load kubeconfig",
	} {
		_, errOut, code := run(t, "add-node", node, "-f", spec, "--root", root, "--kubeconfig", filepath.Join(root, "missing"))
		if code != 1 || !strings.HasPrefix(errOut, want) {
			t.Errorf("add-node %s: exit %d, %q; want %q", node, code, errOut, want)
		}
	}
	if _, errOut, code := run(t, "add-node", "-f", spec); code != 1 || !strings.Contains(errOut, "accepts 1 arg") {
		t.Errorf("add-node without NODE: exit %d %q", code, errOut)
	}
}
