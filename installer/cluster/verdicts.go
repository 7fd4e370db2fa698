package cluster

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Verdict is what the approver would do with one pending CSR.
type Verdict struct {
	Name      string    `json:"name"`
	Requester string    `json:"requester"`
	Signer    string    `json:"signer"`
	Created   time.Time `json:"created"`
	Decision
}

// Verdicts evaluates every pending CSR as an approval pass would, and
// approves nothing (okdctl certs). flooding reports that the flood guard
// would hold back every approval.
func (a *Approver) Verdicts(ctx context.Context) (out []Verdict, flooding bool, err error) {
	csrs, err := a.o.Client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("failed to list CSRs: %w", err)
	}
	nodes, err := a.o.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("failed to list nodes: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	all := ptrs(csrs.Items)
	v := a.newView(all, nodePtrs(nodes.Items))
	pending := a.pending(all)
	for i, d := range decide(v, pending) {
		c := pending[i]
		out = append(out, Verdict{Name: c.Name, Requester: c.Spec.Username, Signer: c.Spec.SignerName,
			Created: c.CreationTimestamp.Time, Decision: d})
	}
	return out, a.flood(pending, len(nodes.Items), v.now), nil
}
