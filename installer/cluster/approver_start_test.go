package cluster

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestApproverNoLostEvents: CSRs made before the approver starts, and while
// it is busy approving another, are approved within a second, with the
// ticker an hour away; a conflicting write is retried through the queue.
func TestApproverNoLostEvents(t *testing.T) {
	k := testenv.StartKube(t, testenv.KubeOptions{NoCRDs: true})
	ctx := testenv.Context(t, 2*time.Minute)
	admin := testenv.Clientset(t, k.AdminConfig())
	nodesim.RunSigner(ctx, admin, k.CA)
	t.Run("CSRs created before the approver starts", func(t *testing.T) { testEarlyCSRs(t, ctx, k) })
	t.Run("CSRs created while another is being approved", func(t *testing.T) { testBusyApprover(t, ctx, k) })
}

func testEarlyCSRs(t *testing.T, ctx context.Context, k *testenv.Kube) {
	admin := testenv.Clientset(t, k.AdminConfig())
	nodes := specNodes("early.example", 3)
	// No Node exists yet (so no Node event comes after the caches sync):
	// the nodes wait for their client certificates.
	var names []string
	boot := testenv.Clientset(t, k.BootstrapperConfig())
	for _, n := range nodes {
		names = append(names, createCSR(t, ctx, boot, clientRequest(n)))
	}
	// The Node informer's first list comes in late, after the CSRs' events.
	hook := &approvalHook{slowNodeList: 300 * time.Millisecond}
	a, _ := NewApprover(ApproverOptions{Client: hook.client(t, k), Inventory: newInventory(t, nodes), Log: &testLog{t: t}})
	start := time.Now()
	stop := runApprover(t, ctx, a)
	defer stop()
	for _, name := range names {
		waitApproved(t, ctx, admin, name, start.Add(time.Second))
	}
	t.Logf("%d CSRs made before the start approved %s after it", len(names), time.Since(start).Round(time.Millisecond))
}

func testBusyApprover(t *testing.T, ctx context.Context, k *testenv.Kube) {
	admin := testenv.Clientset(t, k.AdminConfig())
	hook := &approvalHook{held: make(chan string, 1), release: make(chan struct{})}
	nodes := specNodes("busy.example", 3)
	a, _ := NewApprover(ApproverOptions{Client: hook.client(t, k), Inventory: newInventory(t, nodes), Log: &testLog{t: t}})
	stop := runApprover(t, ctx, a)
	defer stop()
	boot := testenv.Clientset(t, k.BootstrapperConfig())

	hook.set(true, false)
	first := createCSR(t, ctx, boot, clientRequest(nodes[0]))
	select {
	case name := <-hook.held:
		if name != first {
			t.Fatalf("held the approval of %s, want %s", name, first)
		}
	case <-time.After(time.Second):
		t.Fatalf("CSR %s: no approval within a second", first)
	}
	second := createCSR(t, ctx, boot, clientRequest(nodes[1]))
	waitApproved(t, ctx, admin, second, time.Now().Add(time.Second))
	if csr, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, first, metav1.GetOptions{}); err != nil || !isPending(csr) {
		t.Fatalf("CSR %s changed while its approval was held (%v)", first, err)
	}
	close(hook.release)
	waitApproved(t, ctx, admin, first, time.Now().Add(time.Second))

	hook.set(false, true)
	third := createCSR(t, ctx, boot, clientRequest(nodes[2]))
	waitApproved(t, ctx, admin, third, time.Now().Add(time.Second))
	if n := hook.writes(third); n != 2 {
		t.Errorf("CSR %s: %d approval writes, want 2 (a conflict, then the retry)", third, n)
	}
}

// runApprover runs a watching approver whose ticker never fires in a test.
func runApprover(t *testing.T, ctx context.Context, a *Approver) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, WatchOptions{Every: time.Hour}) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func clientRequest(n Node) nodesim.CSR {
	return nodesim.CSR{Signer: certv1.KubeAPIServerClientKubeletSignerName, CN: "system:node:" + n.FQDN,
		O: []string{"system:nodes"}, Usages: nodesim.ClientUsages}
}

func createCSR(t *testing.T, ctx context.Context, c kubernetes.Interface, r nodesim.CSR) string {
	t.Helper()
	csr, _, err := nodesim.Create(ctx, c, r)
	if err != nil {
		t.Fatal(err)
	}
	return csr.Name
}

// waitApproved polls the CSR until it is approved or the deadline passes.
func waitApproved(t *testing.T, ctx context.Context, c kubernetes.Interface, name string, deadline time.Time) {
	t.Helper()
	for {
		csr, err := c.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if isApproved(csr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CSR %s not approved by the deadline (conditions %+v)", name, csr.Status.Conditions)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// approvalHook sits in the approver's transport: it can hold the next
// approval write until released, answer it with a 409 Conflict, or delay
// the first list of Nodes.
type approvalHook struct {
	next         http.RoundTripper
	held         chan string
	release      chan struct{}
	slowNodeList time.Duration
	mu           sync.Mutex
	hold         bool
	conflict     bool
	count        map[string]int
}

// client is an admin client through the hook.
func (h *approvalHook) client(t *testing.T, k *testenv.Kube) kubernetes.Interface {
	cfg := k.AdminConfig()
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { h.next = rt; return h }
	return testenv.Clientset(t, cfg)
}

func (h *approvalHook) set(hold, conflict bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold, h.conflict = hold, conflict
}

func (h *approvalHook) writes(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count[name]
}

func (h *approvalHook) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == "/api/v1/nodes" && req.URL.Query().Get("watch") == "" {
		h.mu.Lock()
		delay := h.slowNodeList
		h.slowNodeList = 0
		h.mu.Unlock()
		time.Sleep(delay)
	}
	name, ok := strings.CutSuffix(req.URL.Path, "/approval")
	if req.Method != http.MethodPut || !ok {
		return h.next.RoundTrip(req)
	}
	name = name[strings.LastIndex(name, "/")+1:]
	h.mu.Lock()
	hold, conflict := h.hold, h.conflict
	h.hold, h.conflict = false, false
	if h.count == nil {
		h.count = map[string]int{}
	}
	h.count[name]++
	h.mu.Unlock()
	if conflict {
		body := `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Conflict","code":409,"message":"injected conflict"}`
		return &http.Response{StatusCode: http.StatusConflict, Status: "409 Conflict", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}
	if hold {
		h.held <- name
		select {
		case <-h.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return h.next.RoundTrip(req)
}

var _ http.RoundTripper = (*approvalHook)(nil)
