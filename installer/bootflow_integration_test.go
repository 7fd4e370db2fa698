package installer

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/webserver"
)

// flow drives installconfig -> manifests -> ignition -> boot with the real
// runner, the openshift-install test double and a fake clock.
type flow struct {
	c     *spec.Cluster
	root  string
	host  *bastion.Host
	out   *syncBuffer
	now   time.Time
	port  int
	phase []Phase
}

func newFlow(t *testing.T) *flow {
	t.Helper()
	fake := testenv.FakeOpenShiftInstall(t)
	dir := t.TempDir()
	examples, _ := filepath.Abs(filepath.Join("..", "examples", "files"))
	port := testenv.FreePort(t, "127.0.1.1")
	specYAML := fmt.Sprintf(`apiVersion: okdctl/v1alpha1
kind: Cluster
metadata: {name: flow}
spec:
  baseDomain: okd.test
  release: {image: "quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116"}
  coreos: {image: %[1]s/sandbox-coreos-metal.x86_64.raw.xz}
  installDir: %[2]s/install
  sshKeyFile: %[1]s/example_ed25519.pub
  openshiftInstall: %[3]s
  machineConfigs: [%[1]s/chrony.bu]
  network: {machineCIDR: 127.0.1.0/24, gateway: 127.0.1.254, upstreamDNS: []}
  bastion:
    ip: 127.0.1.1
    ports: {dns: 15353, api: 16443, machineConfig: 22623, ingressHTTP: 18080, ingressHTTPS: 18443,
            ignition: %[4]d, registry: 15000, etcd: 12379, etcdPeer: 12380, stats: 19000}
  registry: {enabled: false}
  nodes:
  - {name: bootstrap, role: bootstrap, ip: 127.0.1.2, nic: eth0}
  - {name: m0, role: master, ip: 127.0.1.3, nic: eth0}
  - {name: w0, role: worker, ip: 127.0.1.4, nic: eth0}
`, examples, dir, fake, port)
	c, err := spec.Load([]byte(specYAML), filepath.Join(dir, "cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	return &flow{c: c, root: root, host: bastion.NewHost(bastion.HostOptions{Root: root}), out: &syncBuffer{}, port: port,
		phase: []Phase{&InstallConfigPhase{}, &ManifestsPhase{}, &IgnitionPhase{}, &BootPhase{}}}
}

// setClock sets okdctl's clock and the double's (openshift-install's).
func (f *flow) setClock(t *testing.T, okdctl, installer time.Time) {
	f.now = okdctl
	t.Setenv("FAKEINSTALL_NOW", installer.Format(time.RFC3339))
}

func (f *flow) apply(t *testing.T, o ApplyOptions) (*Summary, error) {
	t.Helper()
	r := &Runner{Cluster: f.c, Host: f.host, Log: NewLogger(LoggerOptions{Out: f.out}), Phases: f.phase,
		Now: func() time.Time { return f.now }}
	return r.Apply(testenv.Context(t, time.Minute), o)
}

func (f *flow) mustApply(t *testing.T, o ApplyOptions, want ...string) {
	t.Helper()
	sum, err := f.apply(t, o)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, f.out.String())
	}
	var got []string
	for _, r := range sum.Results {
		got = append(got, r.Phase+"="+r.Status)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("apply: %v, want %v\n%s", got, want, f.out.String())
	}
}

func (f *flow) rc(t *testing.T) *RunContext {
	rc, _ := flowRC(t, f.c, f.root, func() time.Time { return f.now })
	return rc
}

func (f *flow) hashes(t *testing.T) map[string]string {
	t.Helper()
	h, err := ReadIgnitionHashes(f.rc(t).StateDir())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func webFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", e.Name(), fi.Mode().Perm())
		}
		names = append(names, e.Name())
	}
	return names
}

// startNginx serves the web root with okdctl's own nginx.conf
// (webserver), as the http phase deploys it.
func startNginx(t *testing.T, webRoot string, port int) string {
	t.Helper()
	dir := t.TempDir()
	in := webserver.Input{BindIP: "127.0.1.1", Port: port, WebRoot: webRoot,
		PidFile: filepath.Join(dir, "nginx.pid"), AccessLog: filepath.Join(dir, "access.log"), TempDir: filepath.Join(dir, "tmp")}
	if os.Geteuid() == 0 {
		in.User, in.Group = "root", "root"
	}
	conf, err := webserver.Render(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{in.TempDir, filepath.Join(webRoot, webserver.InstallDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), conf, 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.Start(t, testenv.Binary(t, "nginx"), "-c", filepath.Join(dir, "nginx.conf"), "-e", "stderr")
	testenv.WaitTCP(t, fmt.Sprintf("127.0.1.1:%d", port), 10*time.Second)
	return in.BaseURL()
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

var flowPhasesDone = []string{"installconfig=done", "manifests=done", "ignition=done", "boot=done"}
var flowPhasesUnchanged = []string{"installconfig=unchanged", "manifests=unchanged", "ignition=unchanged", "boot=unchanged"}

func TestBootFlowIntegration(t *testing.T) {
	f := newFlow(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	f.setClock(t, t0.Add(time.Hour), t0)
	f.mustApply(t, ApplyOptions{}, flowPhasesDone...)
	rc := f.rc(t)

	checkInstallDir(t, rc)
	if got := webFiles(t, rc.IgnitionWebDir()); strings.Join(got, " ") != "bootstrap.ign m0.ign w0.ign" {
		t.Fatalf("web directory holds %v", got)
	}
	if strings.HasPrefix(rc.InstallDir(), rc.WebRoot()) || strings.HasPrefix(rc.StateDir(), rc.WebRoot()) {
		t.Fatalf("the install or state directory is under the web root")
	}
	base := startNginx(t, rc.WebRoot(), f.port)
	if !strings.HasPrefix(IgnitionURL(f.c, f.c.Spec.Nodes[0]), base+"/") {
		t.Fatalf("ignition URL %s is not served by %s", IgnitionURL(f.c, f.c.Spec.Nodes[0]), base)
	}
	checkServedIgnition(t, f, rc)
	for _, path := range []string{"/ignition/", "/auth/kubeconfig", "/ignition/../auth/kubeconfig", "/install-config.yaml",
		"/bootstrap.ign", "/master.ign", "/metadata.json", "/ignition/hashes.json"} {
		if code, _ := get(t, base+path); code == 200 {
			t.Errorf("%s is served", path)
		}
	}
	checkSecretsNotPrinted(t, f, rc)

	before := f.host.Changes()
	f.mustApply(t, ApplyOptions{}, flowPhasesUnchanged...)
	f.mustApply(t, ApplyOptions{Force: []string{"installconfig", "manifests", "ignition", "boot"}}, flowPhasesDone...)
	if n := f.host.Changes() - before; n != 0 {
		t.Errorf("re-running with unchanged inputs made %d file changes", n)
	}
}

// checkInstallDir: openshift-install's outputs are there, its inputs
// consumed, and okdctl's patches made it into bootstrap.ign.
func checkInstallDir(t *testing.T, rc *RunContext) {
	t.Helper()
	for _, f := range []string{"bootstrap.ign", "master.ign", "worker.ign", "auth/kubeconfig", "auth/kubeadmin-password", "metadata.json"} {
		if !exists(filepath.Join(rc.InstallDir(), f)) {
			t.Errorf("%s missing from the install directory", f)
		}
	}
	if fi, err := os.Stat(rc.StatePath(FileInstallConfig)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("okdctl's install-config.yaml copy: %v %v", fi, err)
	}
	data, _ := os.ReadFile(filepath.Join(rc.InstallDir(), "bootstrap.ign"))
	cfg, _, err := ignition.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, file := range cfg.Storage.Files {
		found[file.Path] = true
	}
	for _, p := range []string{"/opt/openshift/manifests/cluster-scheduler-02-config.yml", "/opt/openshift/openshift/99_okdctl_99-worker-chrony.yaml"} {
		if !found[p] {
			t.Errorf("bootstrap.ign lacks %s", p)
		}
	}
}

// checkServedIgnition: every node's URL serves bytes whose sha512 is the
// one in its coreos-installer command and JSON record, and that Ignition
// parses.
func checkServedIgnition(t *testing.T, f *flow, rc *RunContext) {
	t.Helper()
	out, err := BootOutput(f.c, BootOptions{Format: "json", StateDir: rc.StateDir()})
	if err != nil {
		t.Fatal(err)
	}
	var recs []ignition.Record
	if err := json.Unmarshal(out, &recs); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		code, body := get(t, r.IgnitionURL)
		if code != 200 {
			t.Fatalf("%s: %d", r.IgnitionURL, code)
		}
		sum := ignition.SHA512(body)
		if r.IgnitionHash != sum || !strings.Contains(r.CoreOSInstaller, "--ignition-hash="+sum) || f.hashes(t)[r.Name] != sum {
			t.Errorf("%s: served %s, record %s, command %s", r.Name, sum, r.IgnitionHash, r.CoreOSInstaller)
		}
		if err := ignition.ValidateNode(body); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
	}
	if len(recs) != 3 {
		t.Errorf("%d records", len(recs))
	}
	written, _ := os.ReadFile(filepath.Join(rc.StatePath(DirBoot), "nodes.json"))
	if string(written) != string(out) {
		t.Errorf("the boot phase's nodes.json differs from okdctl boot -o json")
	}
}

func checkSecretsNotPrinted(t *testing.T, f *flow, rc *RunContext) {
	t.Helper()
	pw, _ := os.ReadFile(filepath.Join(rc.InstallDir(), "auth", "kubeadmin-password"))
	out := f.out.String()
	if len(pw) < 10 || strings.Contains(out, string(pw)) || strings.Contains(out, `"auths"`) {
		t.Errorf("a secret is in the output:\n%s", out)
	}
	if !strings.Contains(out, filepath.Join(rc.InstallDir(), "auth", "kubeadmin-password")) {
		t.Errorf("the output does not say where the kubeadmin password is:\n%s", out)
	}
}

func TestBootFlowStaleAndExpiredIgnition(t *testing.T) {
	f := newFlow(t)
	t0 := time.Now().UTC().Truncate(time.Second).Add(-48 * time.Hour)
	f.setClock(t, t0.Add(time.Hour), t0)
	f.mustApply(t, ApplyOptions{}, flowPhasesDone...)
	first := f.hashes(t)

	// 13 h later: stale, made again with the old directory kept.
	t13 := t0.Add(13 * time.Hour)
	f.setClock(t, t13, t13)
	f.mustApply(t, ApplyOptions{}, "installconfig=unchanged", "manifests=unchanged", "ignition=done", "boot=done")
	if !strings.Contains(f.out.String(), "more than 12h0m0s ago") {
		t.Errorf("no warning for stale ignition:\n%s", f.out.String())
	}
	rc := f.rc(t)
	if backups, _ := filepath.Glob(rc.InstallDir() + ".okdctl-backup-*"); len(backups) != 1 {
		t.Errorf("backups of the stale install directory: %v", backups)
	}
	if _, w, _ := ignitionFreshness(rc); !w.Issued.Equal(t13) {
		t.Errorf("the new ignition was made %s, want %s", w.Issued, t13)
	}
	if second := f.hashes(t); second["m0"] == first["m0"] || len(second) != 3 {
		t.Errorf("ignition not published again: %v", second)
	}

	// 25 h after that: expired, refused and taken off the web server.
	f.setClock(t, t13.Add(25*time.Hour), t13.Add(25*time.Hour))
	if _, err := f.apply(t, ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "--force manifests") {
		t.Fatalf("expired ignition: %v", err)
	}
	if got := webFiles(t, rc.IgnitionWebDir()); len(got) != 0 {
		t.Errorf("expired ignition still published: %v", got)
	}
	st, _ := LoadState(rc.StateDir(), "flow")
	if st.Phase("ignition").Status != StatusFailed {
		t.Errorf("ignition phase is %s, want failed", st.Phase("ignition").Status)
	}
	// What the error says to do makes new ignition.
	f.mustApply(t, ApplyOptions{Force: []string{"manifests"}}, "installconfig=unchanged", "manifests=done", "ignition=done", "boot=done")
	if got := webFiles(t, rc.IgnitionWebDir()); len(got) != 3 {
		t.Errorf("published after regeneration: %v", got)
	}
}

func TestBootFlowAfterBootstrap(t *testing.T) {
	f := newFlow(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	f.setClock(t, t0.Add(time.Hour), t0)
	f.mustApply(t, ApplyOptions{}, flowPhasesDone...)
	rc := f.rc(t)
	st, _ := LoadState(rc.StateDir(), "flow")
	st.set("bootstrap", &PhaseState{Status: StatusDone})
	if err := saveState(&bastion.DiskFiles{}, rc.StateDir(), st); err != nil {
		t.Fatal(err)
	}
	// Long after expiry, a re-run serves the nodes' ignition but not the bootstrap's.
	f.setClock(t, t0.Add(72*time.Hour), t0.Add(72*time.Hour))
	f.mustApply(t, ApplyOptions{}, "installconfig=unchanged", "manifests=unchanged", "ignition=done", "boot=done")
	if got := webFiles(t, rc.IgnitionWebDir()); strings.Join(got, " ") != "m0.ign w0.ign" {
		t.Errorf("after bootstrap the web directory holds %v", got)
	}
}

func TestBootFlowFailingOpenShiftInstall(t *testing.T) {
	f := newFlow(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	f.setClock(t, t0, t0)
	t.Setenv("FAKEINSTALL_FAIL", "manifests")
	_, err := f.apply(t, ApplyOptions{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"phase manifests: failed to create manifests", "level=fatal", "injected failure", "okdctl keeps install-config.yaml in"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	rc := f.rc(t)
	st, _ := LoadState(rc.StateDir(), "flow")
	if st.Phase("manifests").Status != StatusFailed || !strings.Contains(st.Phase("manifests").Error, "injected failure") {
		t.Errorf("manifests state: %+v", st.Phase("manifests"))
	}
	if !exists(rc.StatePath(FileInstallConfig)) || exists(filepath.Join(rc.InstallDir(), "install-config.yaml")) {
		t.Errorf("want okdctl's copy kept and openshift-install's consumed")
	}
	t.Setenv("FAKEINSTALL_FAIL", "")
	f.mustApply(t, ApplyOptions{}, "installconfig=unchanged", "manifests=done", "ignition=done", "boot=done")
	if backups, _ := filepath.Glob(rc.InstallDir() + ".okdctl-backup-*"); len(backups) != 1 {
		t.Errorf("the failed install directory was not kept aside: %v", backups)
	}
}
