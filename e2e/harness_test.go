package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// The sandbox's fixed loopback addresses (examples/sandbox.yaml).
const (
	bastionIP = "127.0.1.1"
	masterIP  = "127.0.1.3"
	cluster   = "sandbox"
	domain    = "sandbox.okd.test"
	// pullSecretToken is a known secret the audit looks for.
	pullSecretToken = "ZTJlLXVzZXI6b2tkY3RsLWUyZS1wdWxsLXNlY3JldC1TRUNSRVQ=" // e2e-user:okdctl-e2e-pull-secret-SECRET
)

// rehearsal is one sandbox install: its spec, root, binaries and the
// stand-ins for the cluster.
type rehearsal struct {
	t       *testing.T
	dir     string // spec, pull secret, install dir
	root    string // okdctl --root
	spec    string
	okdctl  string
	env     []string
	cluster *spec.Cluster
	kube    *testenv.Kube
	outputs bytes.Buffer // every okdctl output, for the secrets audit
	// siteSecrets are an existing infrastructure's secrets the audit looks for too
	siteSecrets map[string]string
	// host is the real bastion okdctl runs on (no --root, no --sandbox);
	// spec is then a path inside it and root is its root directory.
	host    *realhost.Container
	hostEnv []string
}

var okdctlBinary string

// buildOkdctl builds okdctl once per test binary.
func buildOkdctl(t *testing.T) string {
	t.Helper()
	if okdctlBinary != "" {
		return okdctlBinary
	}
	dir, err := os.MkdirTemp("", "okdctl-e2e-bin")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "okdctl")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/okdctl")
	cmd.Dir = testenv.RepoRoot()
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("failed to build okdctl: %v\n%s", err, msg)
	}
	okdctlBinary = out
	return out
}

// newRehearsal writes examples/sandbox.yaml with free ports, a test
// install directory, the openshift-install double and a known pull secret,
// and starts the source registry with a synthetic release and the
// kube-apiserver on the master's address.
func newRehearsal(t *testing.T) *rehearsal {
	t.Helper()
	r := &rehearsal{t: t, dir: t.TempDir(), root: t.TempDir(), okdctl: buildOkdctl(t)}
	src := synthrelease.StartSource(t)
	ctx := testenv.Context(t, 2*time.Minute)
	rel, err := synthrelease.Push(ctx, synthrelease.Options{Registry: src, Tag: "4.16.0-0.okd-sandbox", Components: 6})
	if err != nil {
		t.Fatalf("failed to push the synthetic release: %v", err)
	}
	r.writeSpec(rel.Image)
	r.startCluster()
	// the double is the synthetic release's own openshift-install
	r.env = append(r.env, "FAKEINSTALL_RELEASE_IMAGE="+releaseByDigest(rel))
	t.Cleanup(r.down)
	return r
}

// releaseByDigest is the release as `openshift-install version` names it:
// repository@digest.
func releaseByDigest(rel *synthrelease.Release) string {
	return rel.Image[:strings.LastIndex(rel.Image, ":")] + "@" + rel.Digest
}

func (r *rehearsal) writeSpec(releaseImage string) {
	t := r.t
	data, err := examples.FS.ReadFile("sandbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c spec.Cluster
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	s := &c.Spec
	s.Release.Image = releaseImage
	s.InstallDir = filepath.Join(r.dir, "install")
	s.OpenShiftInstall = testenv.FakeOpenShiftInstall(t)
	s.PullSecretFile = filepath.Join(r.dir, "pull-secret.json")
	s.SSHKeyFile = filepath.Join(r.dir, "id.pub")
	s.CoreOS.Image = filepath.Join(r.dir, "coreos-metal.raw.xz")
	p := &s.Bastion.Ports
	for _, port := range []*int{&p.DNS, &p.API, &p.MachineConfig, &p.IngressHTTP, &p.IngressHTTPS,
		&p.Ignition, &p.Registry, &p.Etcd, &p.EtcdPeer, &p.Stats} {
		*port = testenv.FreePort(t, bastionIP)
	}
	s.Timeouts = spec.Timeouts{API: dur(time.Minute), Bootstrap: dur(2 * time.Minute),
		EtcdBootstrap: dur(time.Minute), Nodes: dur(2 * time.Minute), Install: dur(2 * time.Minute), Settle: dur(2 * time.Second)}
	key, _ := examples.FS.ReadFile("files/example_ed25519.pub")
	writeFile(t, s.SSHKeyFile, key, 0o644)
	writeFile(t, s.PullSecretFile, []byte(`{"auths":{"quay.io":{"auth":"`+pullSecretToken+`","email":"e2e@example.com"}}}`), 0o600)
	writeFile(t, s.CoreOS.Image, bytes.Repeat([]byte("coreos-metal-image "), 4096), 0o644)
	out, err := yaml.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	r.spec = filepath.Join(r.dir, "cluster.yaml")
	writeFile(t, r.spec, out, 0o644)
	r.cluster, err = spec.LoadFile(r.spec)
	if err != nil {
		t.Fatalf("the rehearsal spec does not load: %v", err)
	}
}

func dur(d time.Duration) spec.Duration { return spec.Duration{Duration: d} }

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

// startCluster starts the kube-apiserver on the master's address, port 6443,
// so that HAProxy's API backend reaches it, and gives the openshift-install
// double an admin kubeconfig that goes through HAProxy.
func (r *rehearsal) startCluster() {
	t := r.t
	r.kube = testenv.StartKube(t, testenv.KubeOptions{BindIP: masterIP, Port: 6443,
		SANs: []string{"api." + domain, "api-int." + domain, bastionIP}})
	r.startMachineConfigServer()
	cfg, err := clientcmd.LoadFromFile(r.kube.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = r.apiURL()
	}
	path := filepath.Join(r.dir, "admin.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o600)
	r.env = append(os.Environ(),
		"PATH="+filepath.Join(testenv.RepoRoot(), "bin")+":"+os.Getenv("PATH"),
		"FAKEINSTALL_KUBECONFIG="+path,
		"FAKEINSTALL_VERSION=4.16.0-0.okd-sandbox")
}

// apiURL is the API through HAProxy on the bastion.
func (r *rehearsal) apiURL() string {
	return fmt.Sprintf("https://%s:%d", bastionIP, r.cluster.Spec.Bastion.Ports.API)
}

// run runs okdctl to the end and returns its output and exit code.
func (r *rehearsal) run(args ...string) (string, int) {
	r.t.Helper()
	cmd := r.command(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r.outputs.Write(out.Bytes())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("okdctl %v: %v", args, err)
	}
	return out.String(), code
}

// mustRun runs okdctl and fails the test unless it exits 0.
func (r *rehearsal) mustRun(args ...string) string {
	r.t.Helper()
	out, code := r.run(args...)
	if code != 0 {
		r.t.Fatalf("okdctl %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// command is okdctl with the spec, root and sandbox flags where they apply;
// on a real bastion, okdctl inside it with only the spec.
func (r *rehearsal) command(args ...string) *exec.Cmd {
	full := append([]string{}, args...)
	if r.host != nil {
		cmd := r.host.Command(context.Background(), "okdctl", append(full, "-f", r.spec)...)
		cmd.Env = append(cmd.Env, r.hostEnv...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd
	}
	full = append(full, "-f", r.spec, "--root", r.root)
	if args[0] == "apply" || args[0] == "plan" {
		full = append(full, "--sandbox")
	}
	cmd := exec.Command(r.okdctl, full...)
	cmd.Env = r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// start runs okdctl in the background; its output goes to the returned buffer.
func (r *rehearsal) start(args ...string) (*exec.Cmd, *testenv.SafeBuffer) {
	cmd := r.command(args...)
	out := &testenv.SafeBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return cmd, out
}

// stateDir is okdctl's state directory of the rehearsal.
func (r *rehearsal) stateDir() string {
	return filepath.Join(r.root, "var/lib/okdctl", r.cluster.Metadata.Name)
}

// domain is the cluster's domain, <name>.<baseDomain>.
func (r *rehearsal) domain() string {
	return r.cluster.Metadata.Name + "." + r.cluster.Spec.BaseDomain
}

// state reads the state file.
func (r *rehearsal) state() *installer.State {
	st, err := installer.LoadState(r.stateDir(), r.cluster.Metadata.Name)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// down stops the sandbox services and checks that no process is left.
func (r *rehearsal) down() {
	pids := r.servicePIDs()
	cmd := r.command("down")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Errorf("okdctl down: %v\n%s", err, out)
	}
	time.Sleep(100 * time.Millisecond)
	for name, pid := range pids {
		if processAlive(pid) {
			r.t.Errorf("okdctl down left %s (pid %d) running", name, pid)
			syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}

// servicePIDs maps each sandbox service to its pid.
func (r *rehearsal) servicePIDs() map[string]int {
	pids := map[string]int{}
	matches, _ := filepath.Glob(filepath.Join(r.root, "run/okdctl/*.json"))
	for _, m := range matches {
		data, _ := os.ReadFile(m)
		var rec struct {
			PID int `json:"pid"`
		}
		if yaml.Unmarshal(data, &rec) == nil && rec.PID > 0 {
			pids[strings.TrimSuffix(filepath.Base(m), ".json")] = rec.PID
		}
	}
	return pids
}

func processAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !bytes.Contains(stat, []byte(") Z "))
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s (last error: %v)", what, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
