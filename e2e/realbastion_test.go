package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/okdctl/okdctl/examples"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/realhost"
	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

// labDir is where the user keeps the lab spec and its files on the bastion.
const labDir = "/root/lab"

// TestRealBastion is okdctl's main job on a real systemd bastion: Debian
// bookworm booted with systemd as PID 1 (internal/realhost), with only
// what the README tells a user to install (haproxy, nginx,
// ca-certificates: the bare flavour, no etcd, CoreDNS or registry
// package), the seed's 192.168.120.x addresses inside its private network. `okdctl apply -f
// cluster.yaml` (examples/lab.yaml; no --root, no --sandbox) runs all 14
// phases while a kube-apiserver plays the master at 192.168.120.103:6443
// behind okdctl's HAProxy and simulated nodes boot from the boot lines.
// Then okdctl's units are checked (enabled, journal, reload in place,
// restart after kill -9), and after a reboot every service answers again
// without running okdctl.
func TestRealBastion(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a Debian bastion and installs on it; make test runs it")
	}
	start := time.Now()
	c := realhost.Boot(t, realhost.Options{})
	t.Logf("bastion up in %s (unpack %s, boot %s)", time.Since(start).Round(time.Millisecond),
		c.Unpack.Round(time.Millisecond), c.BootTimes[0].Round(time.Millisecond))
	prepareBastion(t, c)
	c.RunInNetns(t, "TestHelperRealInstall", 12*time.Minute)
	start = time.Now()
	c.Reboot()
	t.Logf("reboot took %s", time.Since(start).Round(time.Millisecond))
	c.RunInNetns(t, "TestHelperRealAfterReboot", 3*time.Minute)
}

// prepareBastion does what a user does before the first apply: install
// okdctl (which serves etcd, CoreDNS and the registry itself) and
// openshift-install (here the double), and stop the services Debian
// started on installing haproxy and nginx (preflight names them). It
// first checks that the bastion has no etcd, CoreDNS or registry of its
// own that okdctl could lean on.
func prepareBastion(t *testing.T, c *realhost.Container) {
	t.Helper()
	for _, p := range []string{"etcd", "etcdctl", "coredns", "docker-registry", "registry", "podman"} {
		if out, err := c.Output(context.Background(), "sh", "-c", "command -v "+p); err == nil {
			t.Fatalf("the bare bastion has %s (%s): it must have only what the README lists", p, strings.TrimSpace(out))
		}
	}
	c.CopyIn(buildOkdctl(t), "/usr/local/bin/okdctl", 0o755)
	c.CopyIn(testenv.FakeOpenShiftInstall(t), "/usr/local/bin/openshift-install", 0o755)
	c.MustRun("systemctl", "disable", "--now", "nginx.service", "haproxy.service")
}

// newRealRehearsal is the lab spec on the bastion with a synthetic release
// from a source registry on the lab network's loopback, the kube-apiserver
// on the master's address and the double's admin kubeconfig naming the API
// by api.<cluster>.<baseDomain>. It runs inside the lab network.
func newRealRehearsal(t *testing.T, c *realhost.Container) *rehearsal {
	t.Helper()
	r := &rehearsal{t: t, dir: c.Path(labDir), root: c.Root, host: c, spec: filepath.Join(labDir, "cluster.yaml")}
	src := synthrelease.StartSource(t)
	ctx := testenv.Context(t, 2*time.Minute)
	rel, err := synthrelease.Push(ctx, synthrelease.Options{Registry: src, Tag: "4.16.0-0.okd-sandbox", Components: 6})
	if err != nil {
		t.Fatalf("failed to push the synthetic release: %v", err)
	}
	cl := r.writeLabSpec(rel.Image)
	domain := cl.Metadata.Name + "." + cl.Spec.BaseDomain
	r.kube = testenv.StartKube(t, testenv.KubeOptions{BindIP: realhost.MasterIP, Port: 6443,
		SANs: []string{"api." + domain, "api-int." + domain, realhost.BastionIP}})
	cfg, err := clientcmd.LoadFromFile(r.kube.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range cfg.Clusters {
		cc.Server = "https://api." + domain + ":6443"
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteFile(labDir+"/admin.kubeconfig", data, 0o600)
	// the double is the synthetic release's own openshift-install
	r.hostEnv = []string{"FAKEINSTALL_KUBECONFIG=" + labDir + "/admin.kubeconfig", "FAKEINSTALL_VERSION=4.16.0-0.okd-sandbox",
		"FAKEINSTALL_RELEASE_IMAGE=" + releaseByDigest(rel)}
	if r.cluster, err = spec.LoadFile(c.Path(r.spec)); err != nil {
		t.Fatalf("the lab spec does not load: %v", err)
	}
	return r
}

// writeLabSpec writes examples/lab.yaml as a user would adapt it: their
// release, key, pull secret and CoreOS image, no upstream DNS (the lab
// network is closed) and the rehearsal's timeouts.
func (r *rehearsal) writeLabSpec(releaseImage string) *spec.Cluster {
	return r.writeLab(func(s *spec.ClusterSpec) {
		s.Release.Image = releaseImage
		s.Timeouts = spec.Timeouts{API: dur(time.Minute), Bootstrap: dur(2 * time.Minute),
			EtcdBootstrap: dur(time.Minute), Nodes: dur(2 * time.Minute), Install: dur(2 * time.Minute), Settle: dur(2 * time.Second)}
	})
}

// writeLab writes examples/lab.yaml, changed by adapt, as the bastion's
// cluster.yaml, with the files it names beside it (relative to the spec,
// so that the test can load it from outside too): the example's public
// key, a pull secret and a stand-in CoreOS image; no upstream DNS.
func (r *rehearsal) writeLab(adapt func(*spec.ClusterSpec)) *spec.Cluster {
	t := r.t
	data, err := examples.FS.ReadFile("lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cl spec.Cluster
	if err := yaml.Unmarshal(data, &cl); err != nil {
		t.Fatal(err)
	}
	s := &cl.Spec
	s.SSHKeyFile, s.PullSecretFile, s.CoreOS.Image = "id.pub", "pull-secret.json", "coreos-metal.raw.xz"
	s.Network.UpstreamDNS = nil
	adapt(s)
	key, _ := examples.FS.ReadFile("files/example_ed25519.pub")
	c := r.host
	c.WriteFile(labDir+"/"+s.SSHKeyFile, key, 0o644)
	c.WriteFile(labDir+"/"+s.PullSecretFile, []byte(`{"auths":{"quay.io":{"auth":"`+pullSecretToken+`","email":"e2e@example.com"}}}`), 0o600)
	c.WriteFile(labDir+"/"+s.CoreOS.Image, bytes.Repeat([]byte("coreos-metal-image "), 4096), 0o644)
	out, err := yaml.Marshal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteFile(r.spec, out, 0o644)
	return &cl
}

// TestHelperRealInstall runs inside the lab network for TestRealBastion.
func TestHelperRealInstall(t *testing.T) {
	c := realhost.MustAttach(t, "TestRealBastion")
	r := newRealRehearsal(t, c)
	if plan := r.mustRun("plan"); !strings.Contains(plan, "Nothing was changed.") {
		t.Fatalf("plan output:\n%s", plan)
	}
	start := time.Now()
	out := r.install(t)
	t.Logf("okdctl apply with every phase on the real bastion took %s", time.Since(start).Round(100*time.Millisecond))
	st := r.state()
	for _, p := range installer.PhaseNames() {
		if s := st.Phase(p).Status; s != installer.StatusDone {
			t.Errorf("phase %s ended %s", p, s)
		}
	}
	for _, want := range []string{"✓ complete", "console: https://console-openshift-console.apps." + r.domain(), "kubeadmin-password"} {
		if !strings.Contains(out, want) {
			t.Errorf("the apply output lacks %q:\n%s", want, out)
		}
	}
	reportBootLines(t, st)
	r.checkBootstrapGone(t)
	r.checkUnits(t)
	r.checkRegistryConfined(t)
	r.checkNoopRerun(t)
	// before the kill -9 checks: on this host a killed nginx master's
	// workers can outlive it (systemd cannot kill the cgroup in nspawn)
	r.checkRegistryTakeover(t)
	r.checkReload(t)
	r.checkKill9(t)
	journal := r.host.MustRun("journalctl", "--no-pager", "-o", "cat")
	r.outputs.WriteString(journal)
	r.auditSecrets(t)
}

// checkNoopRerun re-runs apply with nothing changed: every phase is
// confirmed, no file is written and no unit restarted or reloaded.
func (r *rehearsal) checkNoopRerun(t *testing.T) {
	t.Helper()
	c := r.host
	dirs := []string{c.Path("/etc"), c.Path("/var/lib/okdctl"), c.Path("/usr/share/nginx/okdctl"), c.Path("/usr/local"), r.dir}
	before, units := snapshot(t, dirs...), r.units(t)
	start := time.Now()
	again := r.mustRun("apply")
	t.Logf("no-op re-run of every phase on the real bastion took %s", time.Since(start).Round(time.Millisecond))
	for _, p := range installer.PhaseNames() {
		if !strings.Contains(again, "✓ "+p) || strings.Contains(again, "["+p+"] running") {
			t.Errorf("the re-run did not confirm %s unchanged:\n%s", p, again)
		}
	}
	if after := snapshot(t, dirs...); after != before {
		t.Errorf("the no-op re-run wrote files:\n%s", diffLines(before, after))
	}
	for name, st := range r.units(t) {
		if st != units[name] {
			t.Errorf("the no-op re-run changed %s: %+v -> %+v", name, units[name], st)
		}
	}
	var each []string
	for _, p := range installer.PhaseNames() {
		start := time.Now()
		r.mustRun("apply", "--only", p)
		each = append(each, fmt.Sprintf("%s %s", p, time.Since(start).Round(time.Millisecond)))
	}
	t.Logf("no-op apply --only PHASE, each (okdctl's start included): %s", strings.Join(each, ", "))
}

// reportBootLines logs the time from nothing to boot lines: the first
// phase's start to the boot phase's end, with and without the mirror.
func reportBootLines(t *testing.T, st *installer.State) {
	first, boot, mirror := st.Phase(installer.PhaseNames()[0]), st.Phase("boot"), st.Phase("mirror")
	total := boot.FinishedAt.Sub(first.StartedAt)
	m := mirror.FinishedAt.Sub(mirror.StartedAt)
	t.Logf("nothing to boot lines on the real bastion: %s (%s without the mirror, which took %s)",
		total.Round(time.Millisecond), (total - m).Round(time.Millisecond), m.Round(time.Millisecond))
	var each []string
	for _, p := range installer.PhaseNames() {
		ps := st.Phase(p)
		each = append(each, fmt.Sprintf("%s %s", p, ps.FinishedAt.Sub(ps.StartedAt).Round(time.Millisecond)))
	}
	t.Logf("each phase of the first apply on the real bastion: %s", strings.Join(each, ", "))
}

// TestHelperRealAfterReboot runs inside the lab network for TestRealBastion.
// The bastion was rebooted and okdctl not run again.
func TestHelperRealAfterReboot(t *testing.T) {
	c := realhost.MustAttach(t, "TestRealBastion")
	r := &rehearsal{t: t, dir: c.Path(labDir), root: c.Root, host: c, spec: filepath.Join(labDir, "cluster.yaml")}
	var err error
	if r.cluster, err = spec.LoadFile(c.Path(r.spec)); err != nil {
		t.Fatal(err)
	}
	r.checkAfterReboot(t)
	r.checkUnits(t)
}

// checkRegistryConfined: the registry that took the mirror runs as its own
// user, which owns the mirrored data, and reads its key and htpasswd as
// systemd credentials while the files stay root's 0600.
func (r *rehearsal) checkRegistryConfined(t *testing.T) {
	t.Helper()
	c := r.host
	if u := strings.TrimSpace(c.MustRun("systemctl", "show", "-p", "User", "--value", "okdctl-registry.service")); u != installer.RegistryUser {
		t.Errorf("okdctl-registry.service runs as %q, want %s", u, installer.RegistryUser)
	}
	pid := strings.TrimSpace(c.MustRun("systemctl", "show", "-p", "MainPID", "--value", "okdctl-registry.service"))
	if owner := strings.TrimSpace(c.MustRun("stat", "-c", "%U", "/proc/"+pid)); owner != installer.RegistryUser {
		t.Errorf("the registry's process belongs to %s", owner)
	}
	data := "/var/lib/okdctl-registry/" + r.cluster.Metadata.Name
	out := c.MustRun("sh", "-c", "stat -c '%U %a %n' "+data+" && find "+data+" ! -user "+installer.RegistryUser+" | head -5 && find "+data+"/docker/registry/v2/blobs -type f | wc -l")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != installer.RegistryUser+" 700 "+data || len(lines) != 2 || lines[1] == "0" {
		t.Errorf("the mirror's data %s: want owned by %s, mode 700, every file its, blobs present; got:\n%s", data, installer.RegistryUser, out)
	}
	for _, f := range []string{"pki/registry.key", "registry/htpasswd"} {
		if mode := strings.TrimSpace(c.MustRun("stat", "-c", "%U %a", "/var/lib/okdctl/"+r.cluster.Metadata.Name+"/"+f)); mode != "root 600" {
			t.Errorf("%s: %s, want root 600", f, mode)
		}
	}
}

// checkRegistryTakeover: a bastion an older okdctl set up (the registry
// run as root with its data in the state directory, the registry phase
// recorded with other inputs) gets the confined registry from the next
// apply: the data moved to /var/lib/okdctl-registry/<cluster> and owned by
// the registry's user, every mirrored image still there.
func (r *rehearsal) checkRegistryTakeover(t *testing.T) {
	t.Helper()
	c, name := r.host, r.cluster.Metadata.Name
	data, old := "/var/lib/okdctl-registry/"+name, "/var/lib/okdctl/"+name+"/registry-data"
	c.MustRun("systemctl", "stop", "okdctl-registry.service")
	c.MustRun("mv", data, old)
	c.MustRun("chown", "-R", "root:root", old)
	path := filepath.Join(r.stateDir(), "state.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	st["phases"].(map[string]any)[installer.PhaseRegistry].(map[string]any)["inputDigest"] = "inputs of an older okdctl"
	if raw, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out := r.mustRun("apply")
	if !strings.Contains(out, "moved the registry's data from "+old+" to "+data) || !strings.Contains(out, "✓ mirror") {
		t.Errorf("apply on an older okdctl's registry layout:\n%s", out)
	}
	if _, err := c.Output(context.Background(), "test", "-e", old); err == nil {
		t.Errorf("%s is still there", old)
	}
	r.checkRegistryConfined(t)
}
