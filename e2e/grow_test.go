package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

// TestGrowAfterInstall adds a worker to the spec of an installed cluster
// and runs apply: the install directory (and its CA) is kept, the running
// nodes' ignition is not touched, and the new worker gets records, an
// ingress backend and ignition, boots from it and joins.
func TestGrowAfterInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("make test runs it")
	}
	r := newRehearsal(t)
	r.install(t)
	install := r.cluster.Spec.InstallDir
	web := filepath.Join(r.root, "usr/share/nginx/okdctl", cluster, "ignition")
	before := map[string]string{
		"auth/kubeconfig": fileSum(t, filepath.Join(install, "auth/kubeconfig")),
		"worker.ign":      fileSum(t, filepath.Join(install, "worker.ign")),
		"m0.ign":          fileSum(t, filepath.Join(web, "m0.ign")),
		"w0.ign":          fileSum(t, filepath.Join(web, "w0.ign")),
	}
	r.spec = r.variant("grown", func(c *spec.Cluster) {
		c.Spec.Nodes = append(c.Spec.Nodes, spec.Node{Name: "w1", Role: spec.RoleWorker, IP: "127.0.1.5", NIC: "eth0"})
	})
	var err error
	if r.cluster, err = spec.LoadFile(r.spec); err != nil {
		t.Fatal(err)
	}

	ctx := testenv.Context(t, 3*time.Minute)
	cmd, out := r.start("apply")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	m := newMachines(r)
	joined := make(chan error, 1)
	go func() { joined <- m.joinNew(ctx, "w1") }()
	if err := <-done; err != nil {
		t.Fatalf("apply after adding w1: %v\n%s", err, out.String())
	}
	r.outputs.WriteString(out.String())
	if err := <-joined; err != nil {
		t.Fatalf("w1: %v", err)
	}
	for name, sum := range map[string]string{
		"auth/kubeconfig": fileSum(t, filepath.Join(install, "auth/kubeconfig")),
		"worker.ign":      fileSum(t, filepath.Join(install, "worker.ign")),
		"m0.ign":          fileSum(t, filepath.Join(web, "m0.ign")),
		"w0.ign":          fileSum(t, filepath.Join(web, "w0.ign")),
	} {
		if sum != before[name] {
			t.Errorf("%s changed when a worker was added", name)
		}
	}
	if cfg, _ := os.ReadFile(filepath.Join(r.root, "etc/haproxy/haproxy.cfg")); !strings.Contains(string(cfg), "127.0.1.5:") {
		t.Errorf("haproxy.cfg has no backend for w1")
	}
	if !strings.Contains(out.String(), "openshift-install is not run again") && strings.Contains(out.String(), "[manifests] running") {
		t.Errorf("manifests ran without saying it keeps the install directory:\n%s", out.String())
	}
}

// joinNew boots one node from its boot line and joins it as a kubelet does.
func (m *machines) joinNew(ctx context.Context, name string) error {
	var rec bootRecord
	err := waitFor(ctx, name+" booting from what okdctl serves", func() (bool, error) {
		recs, err := m.bootRecords(ctx)
		if err != nil {
			return false, err
		}
		for _, r := range recs {
			if r.Name == name {
				rec = r
				return true, m.boot(r)
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	k := m.r.kube
	boot, err := kubernetes.NewForConfig(m.via(k.BootstrapperConfig()))
	if err != nil {
		return err
	}
	sim := &nodesim.Simulator{Bootstrap: boot, NodeConfig: func(crt, key []byte) *rest.Config {
		return m.via(k.CertPEMConfig(crt, key))
	}}
	_, err = sim.Join(ctx, nodesim.Machine{Name: rec.FQDN, IP: rec.IP})
	return err
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
