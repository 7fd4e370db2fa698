package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
	certv1 "k8s.io/api/certificates/v1"
)

// syncBuf is a bytes.Buffer safe to read while a command writes it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestApproveCSRs drives `okdctl approve-csrs` against a real kube-apiserver:
// once leaves a stranger's CSR pending and exits 0; --watch approves a
// spec node joining, until stopped.
func TestApproveCSRs(t *testing.T) {
	k := testenv.StartKube(t, testenv.KubeOptions{NoCRDs: true})
	ctx := testenv.Context(t, time.Minute)
	nodesim.RunSigner(ctx, testenv.Clientset(t, k.AdminConfig()), k.CA)
	specFile := filepath.Join(copyExamples(t), "sandbox.yaml")
	boot := testenv.Clientset(t, k.BootstrapperConfig())
	if _, _, err := nodesim.Create(ctx, boot, nodesim.CSR{Signer: certv1.KubeAPIServerClientKubeletSignerName,
		CN: "system:node:stranger.sandbox.okd.test", O: []string{"system:nodes"}, Usages: nodesim.ClientUsages}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "approve-csrs", "-f", specFile, "--kubeconfig", k.Kubeconfig)
	if code != 0 || !strings.Contains(out, "0 CSRs approved, 1 left pending") || !strings.Contains(out, "stranger.sandbox.okd.test") {
		t.Fatalf("once: exit %d\n%s%s", code, out, errOut)
	}

	c, err := spec.LoadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	var wout, werr syncBuf
	exited := make(chan int, 1)
	go func() {
		exited <- Main(wctx, []string{"approve-csrs", "-f", specFile, "--kubeconfig", k.Kubeconfig, "--watch"}, &wout, &werr)
	}()
	sim := &nodesim.Simulator{Bootstrap: boot, NodeConfig: k.CertPEMConfig}
	w0 := c.Spec.NodesWithRole(spec.RoleWorker)[0]
	if _, err := sim.Join(ctx, nodesim.Machine{Name: c.FQDN(w0), IP: w0.IP}); err != nil {
		t.Fatalf("join with --watch: %v\n%s%s", err, wout.String(), werr.String())
	}
	stop()
	if code := <-exited; code != 0 {
		t.Fatalf("--watch exit %d after stop\n%s", code, werr.String())
	}
	if n := strings.Count(wout.String(), "approved CSR"); n != 2 {
		t.Errorf("--watch approved %d CSRs, want 2 (client, serving)\n%s", n, wout.String())
	}
}
