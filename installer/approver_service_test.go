package installer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/golden"
)

func TestApproverServiceUnit(t *testing.T) {
	c := clusterSpec(t, 2)
	c.File = "/etc/okdctl/cluster.yaml"
	svc := ApproverService(c, "/usr/local/bin/okdctl", "/okdinstall/auth/kubeconfig")
	unit := bastion.RenderUnit(svc)
	golden.Assert(t, filepath.Join("testdata", "approver", ApproverServiceName+".service.golden"), unit)

	path := filepath.Join(t.TempDir(), ApproverServiceName+".service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze is needed (apt-get install systemd): %v", err)
	}
	out, _ := exec.Command(sa, "verify", path).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, ApproverServiceName+".service:") && !strings.Contains(line, "is not executable") &&
			!strings.Contains(line, "No such file") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
	c.Spec.Nodes = c.Spec.Nodes[:len(c.Spec.Nodes)-1]
	if ApproverService(c, "/usr/local/bin/okdctl", "/okdinstall/auth/kubeconfig").ConfigDigest == svc.ConfigDigest {
		t.Error("removing a node did not change the approver's digest (it would keep the old inventory)")
	}
}
