package installer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
)

// ApproverServiceName is the day-2 approver's unit.
const ApproverServiceName = "okdctl-approver"

// ApproverService is `okdctl approve-csrs --watch` as a bastion service: on
// bare metal the kubelets' serving certificates are renewed through CSRs
// that nothing in the cluster approves without Machine objects. okdctl is
// the okdctl binary; the service restarts when the node inventory changes.
func ApproverService(c *spec.Cluster, okdctl, kubeconfig string) bastion.Service {
	inv, _ := json.Marshal(struct {
		Nodes   any
		Service []string
	}{NodeInventory(c), c.Spec.Network.ServiceNetwork})
	sum := sha256.Sum256(inv)
	return bastion.Service{
		Name:         ApproverServiceName,
		Description:  "okdctl verifying CSR approver for " + c.ClusterDomain() + " (kubelet certificate renewals)",
		Command:      []string{okdctl, "approve-csrs", "-f", c.File, "--watch", "--kubeconfig", kubeconfig},
		ConfigDigest: hex.EncodeToString(sum[:]),
		// root without a single capability: it reads the spec and the
		// admin kubeconfig (root's 0600, possibly under /root) and talks to
		// the API; it writes nothing
		Confine: bastion.Confinement{ReadHome: true},
	}
}
