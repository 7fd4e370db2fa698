package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestApproverFloodGuard: more than max(inventory, nodes) + 100 pending CSRs
// stop all approval, even of a valid node's; cleaning up resumes it.
func TestApproverFloodGuard(t *testing.T) {
	k := testenv.StartKube(t, testenv.KubeOptions{})
	ctx := testenv.Context(t, 2*time.Minute)
	admin := testenv.Clientset(t, k.AdminConfig())
	nodesim.RunSigner(ctx, admin, k.CA)
	nodes := specNodes("okd.example", 5)
	boot := testenv.Clientset(t, k.BootstrapperConfig())
	var junk []string
	for i := 0; i < len(nodes)+100+1; i++ {
		csr, _, err := nodesim.Create(ctx, boot, nodesim.CSR{Signer: certv1.KubeAPIServerClientKubeletSignerName,
			CN: fmt.Sprintf("system:node:junk%d.evil.example", i), O: []string{"system:nodes"}, Usages: nodesim.ClientUsages})
		if err != nil {
			t.Fatal(err)
		}
		junk = append(junk, csr.Name)
	}
	log := &testLog{t: t}
	a, _ := NewApprover(ApproverOptions{Client: admin, Inventory: newInventory(t, nodes), Log: log})
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = a.Run(wctx, WatchOptions{Every: 500 * time.Millisecond}) }()
	joined := make(chan error, 1)
	go func() { _, err := simulator(t, k).Join(ctx, machines(nodes)[3]); joined <- err }()

	waitLog(t, log, "CSRs from the last hour are pending, more than max(5 spec nodes, 0 Nodes) + 100 = 105; approving nothing")
	time.Sleep(time.Second)
	if n := a.Approved(); n != 0 {
		t.Fatalf("approved %d CSRs during a flood", n)
	}
	for _, name := range junk {
		if err := admin.CertificatesV1().CertificateSigningRequests().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-joined:
		if err != nil {
			t.Fatalf("join after the flood: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the valid node was not approved after the flood was cleaned up")
	}
	waitLog(t, log, "flood guard lifted")
	checkCSRs(t, ctx, admin, nil, 2)
}

func waitLog(t *testing.T, log *testLog, s string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if len(log.find(s)) > 0 {
			return
		}
	}
	t.Fatalf("no log line containing %q", s)
}
