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
	"github.com/okdctl/okdctl/haproxy"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

// sandboxWithPorts is examples/sandbox.yaml with the named bastion ports
// moved to free ones (so that tests run side by side).
func sandboxWithPorts(t *testing.T, ports ...string) *spec.Cluster {
	t.Helper()
	specYAML, file := testenv.ExampleSpec(t, "sandbox")
	for _, p := range ports {
		name, _, _ := strings.Cut(p, ":")
		if !strings.Contains(specYAML, p) {
			t.Fatalf("examples/sandbox.yaml lacks %q", p)
		}
		specYAML = strings.Replace(specYAML, p, name+": "+strconv.Itoa(testenv.FreePort(t, "127.0.1.1")), 1)
	}
	c, err := spec.Load([]byte(specYAML), file)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runPhase(t *testing.T, c *spec.Cluster, root string, dry bool, p Phase, o ApplyOptions) (*Runner, *Summary, string) {
	t.Helper()
	var out bytes.Buffer
	h := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true, DryRun: dry, Okdctl: testenv.Okdctl(t)})
	r := &Runner{Cluster: c, Host: h, Log: NewLogger(LoggerOptions{Out: &out}), Phases: []Phase{p}}
	sum, err := r.Apply(testenv.Context(t, 2*time.Minute), o)
	if err != nil {
		t.Fatalf("apply %s (dry run %v): %v\n%s", p.Name(), dry, err, out.String())
	}
	return r, sum, out.String()
}

// TestLoadBalancerPhaseSandbox plans and applies the loadbalancer phase as
// `okdctl apply --sandbox --only loadbalancer` does, re-runs it, and drops
// the bootstrap servers as the bootstrap phase does.
func TestLoadBalancerPhaseSandbox(t *testing.T) {
	t.Parallel()
	c := sandboxWithPorts(t, "api: 16443", "machineConfig: 22623", "ingressHTTP: 18080", "ingressHTTPS: 18443", "stats: 19000")
	root := t.TempDir()
	sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
	t.Cleanup(func() { _ = sb.Stop(context.Background(), haproxy.ServiceName) })
	phase := &LoadBalancerPhase{}
	cfgPath := filepath.Join(root, "etc", "haproxy", "haproxy.cfg")

	_, sum, _ := runPhase(t, c, root, true, phase, ApplyOptions{})
	planned := plannedText(sum)
	for _, want := range []string{"create " + cfgPath, "+    server m0 127.0.1.3:6443 check check-ssl verify none",
		"ensure okdctl-haproxy runs", "sandbox: firewalld and SELinux are left alone", "haproxy_connect_any=1",
		"verify that HAProxy accepts on 127.0.1.1"} {
		if !strings.Contains(planned, want) {
			t.Errorf("plan lacks %q:\n%s", want, planned)
		}
	}
	if _, err := os.Stat(cfgPath); err == nil {
		t.Fatal("the plan wrote haproxy.cfg")
	}

	_, sum, out := runPhase(t, c, root, false, phase, ApplyOptions{})
	if sum.Results[0].Status != StatusDone || !strings.Contains(out, "HAProxy accepts on 127.0.1.1") {
		t.Fatalf("apply: %+v\n%s", sum.Results[0], out)
	}
	pid := sb.PID(haproxy.ServiceName)
	if _, sum, _ = runPhase(t, c, root, false, phase, ApplyOptions{}); sum.Results[0].Status != StatusUnchanged {
		t.Errorf("re-run: %+v, want unchanged", sum.Results[0])
	}
	r, _, out := runPhase(t, c, root, false, phase, ApplyOptions{Force: []string{"loadbalancer"}})
	if n := r.Host.Changes(); n != 0 || sb.PID(haproxy.ServiceName) != pid {
		t.Errorf("forced re-run: %d changes, pid %d -> %d\n%s", n, pid, sb.PID(haproxy.ServiceName), out)
	}

	// the bootstrap phase drops the bootstrap servers; later runs keep them out
	rc := &RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true}),
		log: NewLogger(LoggerOptions{}), phase: "bootstrap"}
	if changed, err := phase.RemoveBootstrap(testenv.Context(t, time.Minute), rc); err != nil || !changed {
		t.Fatalf("RemoveBootstrap = %v, %v", changed, err)
	}
	if live := readFile(cfgPath); strings.Contains(live, "server bootstrap") || sb.PID(haproxy.ServiceName) != pid {
		t.Fatalf("after RemoveBootstrap (pid %d -> %d):\n%s", pid, sb.PID(haproxy.ServiceName), live)
	}
	if changed, err := phase.RemoveBootstrap(testenv.Context(t, time.Minute), rc); err != nil || changed {
		t.Fatalf("second RemoveBootstrap = %v, %v, want nothing changed", changed, err)
	}
	r, sum, out = runPhase(t, c, root, false, phase, ApplyOptions{Force: []string{"loadbalancer"}})
	if n := r.Host.Changes(); n != 0 || sum.Results[0].Status == StatusFailed || strings.Contains(readFile(cfgPath), "server bootstrap") {
		t.Errorf("loadbalancer after bootstrap removal: %d changes, %+v\n%s", n, sum.Results[0], out)
	}
}

// TestLoadBalancerPlanLab plans the lab example for a real bastion: the
// firewalld and SELinux commands appear, nothing runs.
func TestLoadBalancerPlanLab(t *testing.T) {
	t.Parallel()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := planOnFakeHost(t, c, &LoadBalancerPhase{}, map[string]string{busctlKey: busctlPorts("6443/tcp"), "getenforce": "Enforcing",
		"firewall-cmd --permanent --list-ports": "6443/tcp 80/tcp", "getsebool haproxy_connect_any": "haproxy_connect_any --> off",
		"systemctl is-active haproxy.service": "active"})
	for _, want := range []string{
		"run firewall-cmd --permanent --add-port=22623/tcp --add-port=443/tcp --add-port=9000/tcp",
		"run firewall-cmd --add-port=22623/tcp --add-port=80/tcp --add-port=443/tcp --add-port=9000/tcp",
		"run setsebool -P haproxy_connect_any=1", "run systemctl disable --now haproxy.service",
		"ensure okdctl-haproxy runs"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "6443/tcp --add") || strings.Contains(text, "add-port=6443") {
		t.Errorf("the plan opens 6443, which firewalld already allows:\n%s", text)
	}
}

// planOnFakeHost plans phase p for a real bastion whose read-only commands
// are answered from answers; it returns the planned steps, one a line.
func planOnFakeHost(t *testing.T, c *spec.Cluster, p Phase, answers map[string]string) string {
	t.Helper()
	h := bastion.NewHost(bastion.HostOptions{Root: t.TempDir(), DryRun: true})
	h.Runner = &bastion.RecordingRunner{Base: &fakeHost{answers: answers}, Rec: h.Rec}
	rc := &RunContext{cluster: c, host: h, log: NewLogger(LoggerOptions{}), phase: p.Name()}
	if err := p.Run(testenv.Context(t, time.Minute), rc); err != nil {
		t.Fatal(err)
	}
	var planned []string
	for _, s := range h.Rec.Take() {
		planned = append(planned, s.Summary)
	}
	return strings.Join(planned, "\n")
}

// fakeHost answers read-only commands from a table (others fail).
type fakeHost struct {
	answers map[string]string
	ran     []string
}

func (f *fakeHost) Run(ctx context.Context, cmd bastion.Cmd) ([]byte, error) {
	line := strings.Join(append([]string{cmd.Name}, cmd.Args...), " ")
	f.ran = append(f.ran, line)
	if out, ok := f.answers[line]; ok {
		return []byte(out + "\n"), nil
	}
	if filepath.Base(cmd.Name) == "haproxy" || filepath.Base(cmd.Name) == "nginx" {
		return bastion.ExecRunner{}.Run(ctx, cmd)
	}
	return nil, &bastion.CommandError{Line: line, Err: os.ErrNotExist}
}
