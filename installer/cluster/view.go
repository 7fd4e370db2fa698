package cluster

import (
	"context"
	"fmt"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// newView gathers what a pass needs besides each CSR.
func (a *Approver) newView(csrs []*certv1.CertificateSigningRequest, nodes []*corev1.Node) *view {
	v := &view{inv: a.o.Inventory, nodes: map[string]bool{}, now: a.o.Now(),
		since: a.o.ProvisionedAfter, maxClientAge: a.o.MaxClientAge, clientApproved: map[string]string{},
		requests: &a.requests}
	for _, n := range nodes {
		v.nodes[n.Name] = true
	}
	for _, c := range csrs {
		if c.Spec.SignerName != certv1.KubeAPIServerClientKubeletSignerName || c.Spec.Username != NodeBootstrapper {
			continue
		}
		if !isApproved(c) && !a.approvedByUs(c.Name) {
			continue
		}
		if v.now.Sub(c.CreationTimestamp.Time) > v.maxClientAge {
			continue
		}
		if name := a.requests.subjectNode(c); name != "" {
			v.clientApproved[name] = c.Name
		}
	}
	return v
}

// readyNodes reports, per inventory node, whether its Node is Ready.
func readyNodes(inv *Inventory, nodes []*corev1.Node) (ready, missing []string) {
	isReady := map[string]bool{}
	for _, n := range nodes {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				isReady[n.Name] = true
			}
		}
	}
	for _, name := range inv.Names() {
		if isReady[name] {
			ready = append(ready, name)
		} else {
			missing = append(missing, name)
		}
	}
	return ready, missing
}

// NotReady lists the nodes (by Kubernetes name) whose Node is missing or not Ready.
func NotReady(ctx context.Context, c *Clients, nodes []Node) ([]string, error) {
	inv, err := NewInventory(nodes, nil)
	if err != nil {
		return nil, err
	}
	list, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to list nodes: %w", err)
	}
	_, missing := readyNodes(inv, nodePtrs(list.Items))
	return missing, nil
}
