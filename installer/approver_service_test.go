package installer

import (
	"path/filepath"
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
	verifyUnit(t, ApproverServiceName, unit)
	c.Spec.Nodes = c.Spec.Nodes[:len(c.Spec.Nodes)-1]
	if ApproverService(c, "/usr/local/bin/okdctl", "/okdinstall/auth/kubeconfig").ConfigDigest == svc.ConfigDigest {
		t.Error("removing a node did not change the approver's digest (it would keep the old inventory)")
	}
}
