package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

// TestRehearsal runs `okdctl apply` with every phase in the sandbox while
// simulated nodes boot from what it serves, then re-runs it (nothing to
// do), audits every output for secrets and stops everything with down.
func TestRehearsal(t *testing.T) {
	if testing.Short() {
		t.Skip("the rehearsal takes a minute; make test runs it")
	}
	r := newRehearsal(t)
	plan := r.mustRun("plan")
	if !strings.Contains(plan, "Nothing was changed.") {
		t.Fatalf("plan output:\n%s", plan)
	}

	start := time.Now()
	out := r.install(t)
	wall := time.Since(start)
	t.Logf("rehearsal: okdctl apply with every phase took %s; per phase:\n%s", wall.Round(100*time.Millisecond), statusLines(out))
	for _, p := range installer.PhaseNames() {
		if st := r.state().Phase(p).Status; st != installer.StatusDone {
			t.Errorf("phase %s ended %s", p, st)
		}
	}
	for _, want := range []string{"✓ complete", "console: https://console-openshift-console.apps." + domain, "kubeadmin-password"} {
		if !strings.Contains(out, want) {
			t.Errorf("the apply output lacks %q:\n%s", want, out)
		}
	}
	r.checkBootstrapGone(t)

	before, pids := snapshot(t, r.root, r.dir), r.servicePIDs()
	start = time.Now()
	again := r.mustRun("apply")
	noop := time.Since(start)
	t.Logf("no-op re-run of every phase took %s", noop.Round(time.Millisecond))
	for _, p := range installer.PhaseNames() {
		if !strings.Contains(again, "✓ "+p) || strings.Contains(again, "["+p+"] running") {
			t.Errorf("the re-run did not confirm %s unchanged:\n%s", p, again)
		}
	}
	if after := snapshot(t, r.root, r.dir); after != before {
		t.Errorf("the no-op re-run wrote files:\n%s", diffLines(before, after))
	}
	for name, pid := range r.servicePIDs() {
		if pids[name] != pid {
			t.Errorf("the no-op re-run restarted %s", name)
		}
	}
	r.checkVerify(t)
	r.auditSecrets(t)
}

// checkVerify: okdctl verify passes on the finished install, status shows
// it, and a stale ignition file fails that check alone.
func (r *rehearsal) checkVerify(t *testing.T) {
	t.Helper()
	start := time.Now()
	out, code := r.run("verify")
	t.Logf("okdctl verify took %s", time.Since(start).Round(time.Millisecond))
	r.outputs.WriteString(out)
	if code != 0 || !strings.Contains(out, "verify: passed") || !strings.Contains(out, " 0 FAIL, 0 not yet") {
		t.Fatalf("okdctl verify on the finished install (exit %d):\n%s", code, out)
	}
	if !strings.Contains(out, "TLS verified for api."+domain+" against the cluster CA") {
		t.Errorf("verify did not read /readyz over TLS verified against the kubeconfig's CA:\n%s", out)
	}
	if !strings.Contains(out, "TLS verified for api-int."+domain+" against the CA the nodes' ignition trusts") {
		t.Errorf("verify did not read the machine config server's /healthz over TLS verified against master.ign's CA:\n%s", out)
	}
	if st := r.mustRun("status"); !strings.Contains(st, "last verify: ") || !strings.Contains(st, " 0 FAIL") {
		t.Errorf("status does not show the last verify:\n%s", st)
	}
	master := r.cluster.Spec.NodesWithRole(spec.RoleMaster)[0]
	ign := filepath.Join(r.root, "usr/share/nginx/okdctl", cluster, "ignition", master.Name+".ign")
	data, err := os.ReadFile(ign)
	if err != nil {
		t.Fatal(err)
	}
	defer os.WriteFile(ign, data, 0o644)
	writeFile(t, ign, append(data, ' '), 0o644)
	out, code = r.run("verify")
	r.outputs.WriteString(out)
	fails := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "FAIL") {
			fails++
		}
	}
	if code != 1 || fails != 1 || !regexp.MustCompile(`(?m)^FAIL +webserver +ignition of every node.*`+master.Name+`\.ign serves sha512-`).MatchString(out) {
		t.Errorf("a stale ignition should fail that check alone (exit %d):\n%s", code, out)
	}
}

// install runs apply and the simulated machines together.
func (r *rehearsal) install(t *testing.T) string {
	t.Helper()
	ctx := testenv.Context(t, 5*time.Minute)
	cmd, out := r.start("apply")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	nodes := make(chan error, 1)
	go func() { nodes <- newMachines(r).run(ctx) }()
	var applyErr error
	select {
	case applyErr = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		applyErr = <-done
	}
	r.outputs.WriteString(out.String())
	if applyErr != nil {
		select {
		case err := <-nodes:
			t.Logf("simulated machines: %v", err)
		default:
		}
		t.Fatalf("okdctl apply failed: %v\n%s", applyErr, out.String())
	}
	if err := <-nodes; err != nil {
		t.Fatalf("simulated machines: %v", err)
	}
	return out.String()
}

// checkBootstrapGone checks that after bootstrap HAProxy has no bootstrap
// server and the web server no longer serves the bootstrap ignition.
func (r *rehearsal) checkBootstrapGone(t *testing.T) {
	t.Helper()
	cfg, err := os.ReadFile(filepath.Join(r.root, "etc/haproxy/haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), r.cluster.Spec.NodesWithRole(spec.RoleBootstrap)[0].IP+":") {
		t.Errorf("haproxy.cfg still has the bootstrap server:\n%s", cfg)
	}
	url := installer.IgnitionURL(r.cluster, r.cluster.Spec.NodesWithRole(spec.RoleBootstrap)[0])
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("%s answers %s after bootstrap, want 404", url, resp.Status)
	}
}

// snapshot lists every file under the directories with size, mode and
// modification time; the run log (appended on every run) is left out.
func snapshot(t *testing.T, dirs ...string) string {
	t.Helper()
	var b strings.Builder
	for _, dir := range dirs {
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err != nil || filepath.Base(p) == installer.FileRunLog || strings.Contains(p, "/var/log/okdctl/") || strings.Contains(p, "/var/log/okdctl-nginx/") ||
				strings.Contains(p, "registry-data") || strings.HasSuffix(p, "/lock") || strings.Contains(p, "/run/okdctl") {
				return nil
			}
			b.WriteString(p + " " + fi.Mode().String() + " " + fi.ModTime().Format(time.RFC3339Nano) + "\n")
			return nil
		})
	}
	return b.String()
}

func diffLines(a, b string) string {
	seen := map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		seen[l] = true
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if !seen[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// statusLines are the phase status lines of okdctl's output (mark, phase,
// status, duration).
func statusLines(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "✓ ") || strings.HasPrefix(l, "✗ ") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
