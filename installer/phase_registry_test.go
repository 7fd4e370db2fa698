package installer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/spec"
)

// registryCluster is examples/sandbox.yaml with a synthetic release in a
// loopback source registry and a free registry port.
func registryCluster(t *testing.T) *spec.Cluster {
	t.Helper()
	src := synthrelease.StartSource(t)
	rel, err := synthrelease.Push(testenv.Context(t, time.Minute), synthrelease.Options{Registry: src, Components: 4})
	if err != nil {
		t.Fatal(err)
	}
	data, file := testenv.ExampleSpec(t, "sandbox")
	specYAML := strings.Replace(data, "127.0.0.1:15001/okd/release:4.16.0-0.okd-sandbox", rel.Image, 1)
	specYAML = strings.Replace(specYAML, "registry: 15000", "registry: "+strconv.Itoa(testenv.FreePort(t, "127.0.1.1")), 1)
	c, err := spec.Load([]byte(specYAML), file)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func registryRunner(t testing.TB, c *spec.Cluster, root string, dry bool, out *bytes.Buffer) *Runner {
	h := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true, DryRun: dry, Okdctl: testenv.Okdctl(t)})
	return &Runner{Cluster: c, Host: h, Log: NewLogger(LoggerOptions{Out: out}),
		Phases: []Phase{&RegistryPhase{}, &MirrorPhase{}}}
}

func TestRegistryAndMirrorPhases(t *testing.T) {
	c := registryCluster(t)
	root := t.TempDir()
	sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
	t.Cleanup(func() { _ = sb.Stop(context.Background(), registry.ServiceName) })
	ctx := testenv.Context(t, 2*time.Minute)

	var plan bytes.Buffer
	sum, err := registryRunner(t, c, root, true, &plan).Apply(ctx, ApplyOptions{})
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, plan.String())
	}
	planned := plannedText(sum)
	for _, want := range []string{"secret: content not shown", "ensure okdctl-registry runs", "verify https://registry.sandbox.okd.test:", "imageDigestSources"} {
		if !strings.Contains(planned, want) {
			t.Errorf("plan lacks %q:\n%s", want, planned)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "var")); err == nil {
		t.Error("plan wrote files")
	}

	var out bytes.Buffer
	r := registryRunner(t, c, root, false, &out)
	if _, err := r.Apply(ctx, ApplyOptions{}); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
	stateDir := r.StateDir()
	pass, err := os.ReadFile(filepath.Join(stateDir, FileRegistryPass))
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(pass))
	for where, text := range map[string]string{"plan": plan.String() + planned, "apply output": out.String(), "registry log": readFile(sb.LogPath(registry.ServiceName))} {
		if strings.Contains(text, password) {
			t.Errorf("the registry password appears in the %s", where)
		}
	}
	m, err := registry.DecodeMapping(readFileBytes(t, filepath.Join(stateDir, FileMirrorMapping)))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Images) != 4 || len(m.Sources) != 2 || !strings.HasPrefix(m.Repository, "registry.sandbox.okd.test:") {
		t.Errorf("mapping: %d images, sources %+v, repository %s", len(m.Images), m.Sources, m.Repository)
	}
	if !strings.Contains(out.String(), "[mirror] mirrored 5/5 images") {
		t.Errorf("no final mirror progress line:\n%s", out.String())
	}

	pid, changes := sb.PID(registry.ServiceName), r.Host.Changes()
	var again bytes.Buffer
	r2 := registryRunner(t, c, root, false, &again)
	sum, err = r2.Apply(ctx, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range sum.Results {
		if res.Status != StatusUnchanged {
			t.Errorf("second apply: %s %s (%s)", res.Phase, res.Status, res.Note)
		}
	}
	if sb.PID(registry.ServiceName) != pid || r2.Host.Changes() != 0 {
		t.Errorf("second apply restarted the registry (pid %d -> %d) or wrote %d files (first run wrote %d)", pid, sb.PID(registry.ServiceName), r2.Host.Changes(), changes)
	}
	if _, err := r2.Apply(ctx, ApplyOptions{Force: []string{"registry", "mirror"}}); err != nil || r2.Host.Changes() != 0 || sb.PID(registry.ServiceName) != pid {
		t.Errorf("forced re-run: err %v, %d changes, pid %d -> %d", err, r2.Host.Changes(), pid, sb.PID(registry.ServiceName))
	}
}

func plannedText(sum *Summary) string {
	var b strings.Builder
	for _, r := range sum.Results {
		for _, p := range r.Planned {
			b.WriteString(p.Kind + " " + p.Summary + "\n" + p.Diff + "\n")
		}
	}
	return b.String()
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

func readFileBytes(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRegistryPhasesSkipWhenDisabled(t *testing.T) {
	t.Parallel()
	c := &spec.Cluster{}
	f := false
	c.Spec.Registry.Enabled = &f
	rc := &RunContext{cluster: c}
	if run, why := (&RegistryPhase{}).ShouldRun(rc); run || !strings.Contains(why, "spec.registry.enabled") {
		t.Errorf("registry ShouldRun = %v %q", run, why)
	}
	if run, _ := (&MirrorPhase{}).ShouldRun(rc); run {
		t.Error("mirror runs without a registry")
	}
	c.Spec.Registry.Enabled, c.Spec.Registry.Mirror = nil, &f
	if run, why := (&MirrorPhase{}).ShouldRun(rc); run || !strings.Contains(why, "spec.registry.mirror") {
		t.Errorf("mirror ShouldRun = %v %q", run, why)
	}
}
