package installer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
)

// bigSpec is a valid spec with n nodes (1 bootstrap, 3 masters, workers).
func bigSpec(b *testing.B, n int) string {
	c := validCluster()
	c.Spec.Network.MachineCIDR = "10.0.0.0/16"
	c.Spec.Network.Gateway = "10.0.0.1"
	c.Spec.Bastion.IP = "10.0.0.2"
	c.Spec.Network.ClusterNetwork = []spec.ClusterNetwork{{CIDR: "10.128.0.0/14", HostPrefix: 23}}
	c.Spec.Nodes = nil
	for i := 0; i < n; i++ {
		role := spec.RoleWorker
		switch {
		case i == 0:
			role = spec.RoleBootstrap
		case i <= 3:
			role = spec.RoleMaster
		}
		c.Spec.Nodes = append(c.Spec.Nodes, spec.Node{Name: fmt.Sprintf("n%d", i), Role: role,
			IP: fmt.Sprintf("10.0.%d.%d", 1+i/250, 1+i%250), NIC: "eno1", MAC: fmt.Sprintf("52:54:00:00:%02x:%02x", i/256, i%256)})
	}
	data, err := yaml.Marshal(c)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "id.pub"), []byte(testKey), 0o644); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkLoadValidate1000 loads and validates a 1,000-node spec.
func BenchmarkLoadValidate1000(b *testing.B) {
	path := bigSpec(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := spec.LoadFile(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadValidatePlan1000 loads, validates and plans (dry run of
// every phase) a 1,000-node spec.
func BenchmarkLoadValidatePlan1000(b *testing.B) {
	path := bigSpec(b, 1000)
	root := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		c, err := spec.LoadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		host := bastion.NewHost(bastion.HostOptions{Root: root, DryRun: true})
		r := &Runner{Cluster: c, Host: host, Log: NewLogger(LoggerOptions{})}
		if _, err := r.Apply(context.Background(), ApplyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
