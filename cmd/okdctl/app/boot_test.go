package app

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestBootPrintsFromTheSpecAlone(t *testing.T) {
	t.Parallel()
	dir := copyExamples(t)
	spec := filepath.Join(dir, "lab.yaml")
	out, errOut, code := run(t, "boot", "-f", spec, "--root", t.TempDir(), "worker")
	if code != 0 || !strings.Contains(out, "ip=192.168.120.104::192.168.120.101:255.255.255.0:worker.okd.example:ens786f1:none") {
		t.Fatalf("boot worker: %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = run(t, "boot", "-f", spec, "-o", "json")
	var recs []map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 3 || recs[0]["ignitionHash"] != "" {
		t.Fatalf("boot -o json: %d\n%s", code, out)
	}
}

func TestBootUnknownNodeListsTheNodes(t *testing.T) {
	t.Parallel()
	spec := filepath.Join(copyExamples(t), "lab.yaml")
	_, errOut, code := run(t, "boot", "-f", spec, "master9")
	if code != 1 || errOut != "ERROR: unknown node \"master9\": the nodes of okd are bootstrap, master, worker\n" {
		t.Errorf("unknown node: %d %q", code, errOut)
	}
	_, errOut, code = run(t, "boot", "-f", spec, "-o", "pxe")
	if code != 1 || !strings.Contains(errOut, "spec.coreos.kernel") {
		t.Errorf("pxe without media: %d %q", code, errOut)
	}
}
