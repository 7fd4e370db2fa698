package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Approval records okdctl's approvals in the CSR's condition.
const (
	ApprovalReason = "OkdctlApproved"
	floodExtra     = 100
	floodWindow    = time.Hour
	approveWorkers = 16
)

// ApproverOptions configures the verifying approver.
type ApproverOptions struct {
	Client    kubernetes.Interface
	Inventory *Inventory
	// ProvisionedAfter rejects client CSRs created before it (zero: no bound).
	ProvisionedAfter time.Time
	// MaxClientAge rejects client CSRs older than this (default 1 h, the
	// kubelet makes a new one when its request goes unanswered that long).
	MaxClientAge time.Duration
	Log          Logger
	Now          func() time.Time
}

// Approver approves the kubelet CSRs of the inventory's nodes, and nothing else.
type Approver struct {
	o        ApproverOptions
	log      Logger
	requests requestCache      // parsed, verified requests: decisions read them outside mu
	mu       sync.Mutex        // guards skipped, floodSeen and changes of flooding; held for bookkeeping only
	skipped  map[string]string // CSR name -> last logged reason
	flooding atomic.Bool       // read without mu by the event handlers
	// floodCounts numbers the watch's flood counts as they start;
	// floodSeen is the newest applied, so the guard follows them in order.
	floodCounts atomic.Uint64
	floodSeen   uint64
	countMu     sync.Mutex      // approved and count, written by concurrent approvals
	approved    map[string]bool // CSR names approved by this approver
	count       int
	workers     int // concurrent decisions and writes of a watch (0: approveWorkers)
	// stage, when set, is told when a watch's CSR reaches a stage ("event",
	// "picked" by a worker, "decided" to approve): the benchmark's timings.
	stage func(stage, csr string)
}

// NewApprover checks the options.
func NewApprover(o ApproverOptions) (*Approver, error) {
	if o.Client == nil || o.Inventory == nil {
		return nil, fmt.Errorf("failed to start the CSR approver: a client and an inventory are needed")
	}
	if o.MaxClientAge == 0 {
		o.MaxClientAge = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Approver{o: o, log: orNop(o.Log), approved: map[string]bool{}, skipped: map[string]string{}}, nil
}

// Approved is the number of CSRs this approver approved so far.
func (a *Approver) Approved() int {
	a.countMu.Lock()
	defer a.countMu.Unlock()
	return a.count
}

// Skipped maps each CSR skipped so far to the reason last logged for it.
func (a *Approver) Skipped() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]string, len(a.skipped))
	for k, v := range a.skipped {
		out[k] = v
	}
	return out
}

// Once handles what is pending now and returns (approve-csrs without --watch).
func (a *Approver) Once(ctx context.Context) error {
	csrs, err := a.o.Client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("failed to list CSRs: %w", err)
	}
	nodes, err := a.o.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("failed to list nodes: %w", err)
	}
	return a.pass(ctx, ptrs(csrs.Items), nodePtrs(nodes.Items))
}

// pass evaluates every pending CSR once and approves what passes.
func (a *Approver) pass(ctx context.Context, csrs []*certv1.CertificateSigningRequest, nodes []*corev1.Node) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	v := a.newView(csrs, nodes)
	pending := a.pending(csrs)
	if a.flood(pending, len(nodes), v.now) {
		return nil
	}
	decisions := decide(v, pending)
	var approve []int
	for i, csr := range pending {
		if !decisions[i].Approve {
			a.noteSkip(csr, decisions[i])
			continue
		}
		approve = append(approve, i)
	}
	return a.approveAll(ctx, pending, decisions, approve)
}

// decide evaluates each pending CSR; of a node's approvable client CSRs
// only the newest is approved.
func decide(v *view, pending []*certv1.CertificateSigningRequest) []Decision {
	decisions := make([]Decision, len(pending))
	newest := map[string]string{} // node -> newest approvable client CSR
	for i, csr := range pending {
		decisions[i] = v.evaluate(csr)
		if decisions[i].Approve && decisions[i].Kind == "client" {
			newest[decisions[i].Node] = csr.Name
		}
	}
	for i, csr := range pending {
		d := decisions[i]
		if d.Approve && d.Kind == "client" && newest[d.Node] != csr.Name {
			decisions[i] = skip(d.Kind, d.Node, "a newer client CSR for this node (%s) is pending; only the newest is approved", newest[d.Node])
		}
	}
	return decisions
}

// approveAll approves the chosen CSRs, a few at a time (a burst of nodes
// joins at once).
func (a *Approver) approveAll(ctx context.Context, pending []*certv1.CertificateSigningRequest, d []Decision, idx []int) error {
	var wg sync.WaitGroup
	errs := make([]error, len(idx))
	sem := make(chan struct{}, approveWorkers)
	for k, i := range idx {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[k] = a.approve(ctx, pending[i], d[i])
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// pending lists CSRs neither approved nor denied nor failed (and not
// approved by us already, in case the cache lags), oldest first.
func (a *Approver) pending(csrs []*certv1.CertificateSigningRequest) []*certv1.CertificateSigningRequest {
	var out []*certv1.CertificateSigningRequest
	for _, c := range csrs {
		if isPending(c) && !a.approvedByUs(c.Name) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ti, tj := out[i].CreationTimestamp.Time, out[j].CreationTimestamp.Time
		if ti.Equal(tj) {
			return out[i].Name < out[j].Name
		}
		return ti.Before(tj)
	})
	return out
}

// flood reports whether too many recent CSRs are pending to approve any
// (cluster-machine-approver's guard: max(machines, nodes) + 100 in the last
// hour). The caller holds a.mu.
func (a *Approver) flood(pending []*certv1.CertificateSigningRequest, nodes int, now time.Time) bool {
	recent := 0
	for _, c := range pending {
		if inFloodWindow(c, now) {
			recent++
		}
	}
	return a.setFlooding(recent, nodes)
}

// inFloodWindow reports whether a CSR is recent enough for the flood guard
// to count it.
func inFloodWindow(c *certv1.CertificateSigningRequest, now time.Time) bool {
	return now.Sub(c.CreationTimestamp.Time) <= floodWindow
}

// setFlooding records whether recent pending CSRs exceed the guard's limit,
// logging when that changes. The caller holds a.mu.
func (a *Approver) setFlooding(recent, nodes int) bool {
	limit := max(a.o.Inventory.Len(), nodes) + floodExtra
	flooding := recent > limit
	was := a.flooding.Swap(flooding)
	switch {
	case flooding && !was:
		a.log.Warnf("flood guard: %d CSRs from the last hour are pending, more than max(%d spec nodes, %d Nodes) + %d = %d; approving nothing until they are cleaned up (review them with `oc get csr` and delete the ones that are not your nodes')",
			recent, a.o.Inventory.Len(), nodes, floodExtra, limit)
	case !flooding && was:
		a.log.Infof("flood guard lifted: %d CSRs pending (limit %d); approving again", recent, limit)
	}
	return flooding
}

func (a *Approver) noteSkip(csr *certv1.CertificateSigningRequest, d Decision) {
	if a.skipped[csr.Name] == d.Reason {
		return
	}
	a.skipped[csr.Name] = d.Reason
	kind := d.Kind
	if kind == "" {
		kind = "other"
	}
	a.log.Infof("skipping CSR %s (%s, requested by %s): %s", csr.Name, kind, csr.Spec.Username, d.Reason)
}

// approve sets the Approved condition, re-reading the CSR on a conflict
// (Once and Verdicts have no work queue to retry through).
func (a *Approver) approve(ctx context.Context, csr *certv1.CertificateSigningRequest, d Decision) error {
	c := csr
	for try := 0; ; try++ {
		err := a.writeApproval(ctx, c, d)
		if err == nil || !apierrors.IsConflict(err) || try > 2 {
			return err
		}
		if c, err = a.o.Client.CertificatesV1().CertificateSigningRequests().Get(ctx, csr.Name, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("failed to re-read CSR %s: %w", csr.Name, err)
		}
		if !isPending(c) {
			return nil
		}
	}
}

// writeApproval makes one write of the Approved condition through the
// approval subresource (a conflict means csr is stale).
func (a *Approver) writeApproval(ctx context.Context, csr *certv1.CertificateSigningRequest, d Decision) error {
	c := csr.DeepCopy()
	c.Status.Conditions = append(c.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: ApprovalReason,
		Message: "approved by okdctl: " + d.Reason, LastUpdateTime: metav1.NewTime(a.o.Now()),
	})
	if _, err := a.o.Client.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, c.Name, c, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("failed to approve CSR %s: %w", c.Name, err)
	}
	a.recordApproval(c.Name)
	a.log.Infof("approved CSR %s: %s", c.Name, d.Reason)
	return nil
}

// approvedByUs reports whether this approver approved the CSR (its cache
// may not show it yet).
func (a *Approver) approvedByUs(name string) bool {
	a.countMu.Lock()
	defer a.countMu.Unlock()
	return a.approved[name]
}

func (a *Approver) recordApproval(name string) {
	a.countMu.Lock()
	defer a.countMu.Unlock()
	a.approved[name] = true
	a.count++
}

func isPending(c *certv1.CertificateSigningRequest) bool {
	for _, cond := range c.Status.Conditions {
		switch cond.Type {
		case certv1.CertificateApproved, certv1.CertificateDenied, certv1.CertificateFailed:
			return false
		}
	}
	return true
}

func isApproved(c *certv1.CertificateSigningRequest) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == certv1.CertificateApproved && cond.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func ptrs(items []certv1.CertificateSigningRequest) []*certv1.CertificateSigningRequest {
	out := make([]*certv1.CertificateSigningRequest, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func nodePtrs(items []corev1.Node) []*corev1.Node {
	out := make([]*corev1.Node, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
