package day2

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

// sandboxSpec is examples/sandbox.yaml with free ports for the named
// services and the edits applied (old -> new pairs).
func sandboxSpec(t *testing.T, ports []string, edits ...string) *spec.Cluster {
	t.Helper()
	specYAML, file := testenv.ExampleSpec(t, "sandbox")
	for _, p := range ports {
		i := strings.Index(specYAML, " "+p+": ")
		if i < 0 {
			i = strings.Index(specYAML, "{"+p+": ")
		}
		if i < 0 {
			t.Fatalf("no port %s in the sandbox example", p)
		}
		j := i + len(p) + 3
		k := j + strings.IndexAny(specYAML[j:], ",}")
		specYAML = specYAML[:j] + strconv.Itoa(testenv.FreePort(t, "127.0.1.1")) + specYAML[k:]
	}
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(specYAML, edits[i]) {
			t.Fatalf("the sandbox example has no %q", edits[i])
		}
		specYAML = strings.Replace(specYAML, edits[i], edits[i+1], 1)
	}
	c, err := spec.Load([]byte(specYAML), file)
	if err != nil {
		t.Fatal(err)
	}
	c.Spec.InstallDir = filepath.Join(t.TempDir(), "install")
	return c
}

// sandboxHost is a sandbox host rooted in root whose services stop with the test.
func sandboxHost(t *testing.T, root string) *bastion.Host {
	t.Helper()
	sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
	t.Cleanup(func() { _, _ = sb.StopAll(context.Background()) })
	return bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true, Okdctl: testenv.Okdctl(t)})
}

// applyPhases runs phases with the real runner, as okdctl apply --only does.
func applyPhases(t *testing.T, c *spec.Cluster, host *bastion.Host, kubeconfig string, phases ...installer.Phase) string {
	t.Helper()
	var out bastion.SyncBuffer
	r := &installer.Runner{Cluster: c, Host: host, Log: installer.NewLogger(installer.LoggerOptions{Out: &out}),
		Phases: phases, Kubeconfig: kubeconfig}
	if _, err := r.Apply(testenv.Context(t, 2*time.Minute), installer.ApplyOptions{}); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
	return out.String()
}

// newRC is a day-2 RunContext logging into out.
func newRC(t *testing.T, c *spec.Cluster, host *bastion.Host, kubeconfig string) (*installer.RunContext, *bastion.SyncBuffer) {
	t.Helper()
	out := &bastion.SyncBuffer{}
	rc, err := installer.NewRunContext(c, host, installer.NewLogger(installer.LoggerOptions{Out: out}),
		installer.RunContextOptions{Phase: "test", Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	return rc, out
}
