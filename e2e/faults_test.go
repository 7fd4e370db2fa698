package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

// TestKillInEveryPhase interrupts okdctl apply with SIGKILL in each phase in
// turn, every run getting one phase further, while the simulated machines
// keep booting. Each re-run must resume where the last stopped (finished
// phases confirmed, not run again), keep the CA, the registry password,
// the mirrored release and the install directory, and the last run must
// finish the install.
func TestKillInEveryPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault rehearsal takes minutes; make test runs it")
	}
	// killed as each phase starts, then a little later, inside the
	// longer phases (starting services, syncing, mirroring, waiting)
	for _, delay := range []time.Duration{0, 120 * time.Millisecond} {
		t.Run(fmt.Sprintf("%s-in", delay), func(t *testing.T) { killEveryPhase(t, delay) })
	}
	// killed at exact steps of openshift-install, whatever the timing:
	// after it consumed install-config.yaml, after it saved its state, after
	// it consumed the manifests, while it writes the ignition
	t.Run("openshift-install-steps", killInOpenShiftInstall)
}

func killInOpenShiftInstall(t *testing.T) {
	r := newRehearsal(t)
	kept := keptFacts{}
	for _, step := range []string{"manifests:consumed", "ignition-configs:saved", "ignition-configs:consumed", "ignition-configs:writing"} {
		finished := r.donePhases()
		out := r.applyKilledAtStep(t, step)
		t.Logf("SIGKILL at openshift-install's %s: %s", step, r.where())
		r.checkResumed(t, out, finished)
		kept.check(t, r)
	}
	phases := installer.PhaseNames()
	out := r.mustRun("apply", "--only", strings.Join(phases[:slices.Index(phases, installer.PhaseIgnition)+1], ","))
	r.checkResumed(t, out, []string{installer.PhaseManifests})
	if !strings.Contains(out, "resuming the interrupted create ignition-configs") {
		t.Errorf("the ignition phase did not resume openshift-install's run:\n%s", out)
	}
	kept.check(t, r)
	if kept["the cluster's root CA"] == "" {
		t.Errorf("no master.ign after the ignition phase")
	}
}

// applyKilledAtStep runs apply with openshift-install stopping at step and
// SIGKILLs okdctl and openshift-install (its process group) there.
func (r *rehearsal) applyKilledAtStep(t *testing.T, step string) string {
	t.Helper()
	hung := filepath.Join(t.TempDir(), "hung")
	cmd := r.command("apply")
	cmd.Env = append(append([]string{}, r.env...), "FAKEINSTALL_HANG="+step, "FAKEINSTALL_HANG_FILE="+hung)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ctx := testenv.Context(t, 3*time.Minute)
	err := waitFor(ctx, "openshift-install to reach "+step, func() (bool, error) {
		select {
		case err := <-done:
			done <- err
			return false, fmt.Errorf("apply ended first (%v)", err)
		default:
		}
		_, err := os.Stat(hung)
		return err == nil, nil
	})
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	r.outputs.Write(out.Bytes())
	if err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	return out.String()
}

func killEveryPhase(t *testing.T, delay time.Duration) {
	r := newRehearsal(t)
	ctx := testenv.Context(t, 10*time.Minute)
	nodes := make(chan error, 1)
	go func() { nodes <- newMachines(r).run(ctx) }()

	kept := keptFacts{}
	phases := installer.PhaseNames()
	for _, target := range phases {
		if r.state().Phase(target).Status == installer.StatusDone {
			continue // the last kill landed after it
		}
		finished := r.donePhases()
		out, at := r.applyKilledAt(t, target, delay, target == "registry")
		t.Logf("SIGKILL %s after %s started: %s", delay, target, at)
		r.checkResumed(t, out, finished)
		kept.check(t, r)
	}
	out := r.mustRun("apply")
	r.checkResumed(t, out, nil)
	for _, p := range phases {
		if st := r.state().Phase(p).Status; st != installer.StatusDone {
			t.Errorf("after the interrupted runs, phase %s is %s", p, st)
		}
	}
	if err := <-nodes; err != nil {
		t.Fatalf("simulated machines: %v", err)
	}
	kept.check(t, r)
	r.auditSecrets(t)
}

// applyKilledAt starts apply and SIGKILLs it (and openshift-install, in its
// process group) as soon as it says the phase runs. With second set, a
// second apply is started first and must be refused by the lock.
func (r *rehearsal) applyKilledAt(t *testing.T, phase string, delay time.Duration, second bool) (string, string) {
	t.Helper()
	cmd := r.command("apply")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(pipe)
	marker := "[" + phase + "] running:"
	killed := false
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if second && strings.Contains(line, "running:") {
			second = false
			r.checkSecondRunRefused(t)
		}
		if strings.Contains(line, marker) {
			time.Sleep(delay)
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			killed = true
			break
		}
	}
	rest, _ := io.ReadAll(pipe)
	out.Write(rest)
	cmd.Wait()
	r.outputs.Write(out.Bytes())
	if !killed {
		t.Fatalf("apply ended before the %s phase ran:\n%s", phase, out.String())
	}
	return out.String(), r.where()
}

// donePhases are the phases the state shows done.
func (r *rehearsal) donePhases() []string {
	var done []string
	st := r.state()
	for _, p := range installer.PhaseNames() {
		if st.Phase(p).Status == installer.StatusDone {
			done = append(done, p)
		}
	}
	return done
}

// where says which phase the state shows running (or the last done).
func (r *rehearsal) where() string {
	st := r.state()
	last := "none"
	for _, p := range installer.PhaseNames() {
		switch st.Phase(p).Status {
		case installer.StatusRunning:
			return p + " was running"
		case installer.StatusDone:
			last = p
		}
	}
	return "killed between phases, after " + last
}

// checkSecondRunRefused runs a second apply while one runs.
func (r *rehearsal) checkSecondRunRefused(t *testing.T) {
	t.Helper()
	out, code := r.run("apply")
	if code != 1 || !strings.HasPrefix(out, "ERROR: another okdctl run holds the lock") {
		t.Errorf("a second apply during a run: exit %d\n%s", code, out)
	}
}

// checkResumed checks that the phases finished before were confirmed and
// skipped, not run again.
func (r *rehearsal) checkResumed(t *testing.T, out string, finished []string) {
	t.Helper()
	for _, p := range finished {
		if strings.Contains(out, "["+p+"] running:") {
			t.Errorf("phase %s, finished before, ran again:\n%s", p, out)
		}
	}
}

// keptFacts are what no interruption may lose, recorded when first seen.
type keptFacts map[string]string

func (k keptFacts) check(t *testing.T, r *rehearsal) {
	t.Helper()
	state := r.stateDir()
	for name, path := range map[string]string{
		"okdctl's CA": filepath.Join(state, "pki/ca.crt"), "okdctl's CA key": filepath.Join(state, "pki/ca.key"),
		"the registry password": filepath.Join(state, "registry/password"),
		"the mirror mapping":    filepath.Join(state, installer.FileMirrorMapping),
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			if k[name] != "" {
				t.Errorf("%s is gone: %v", name, err)
			}
			continue
		}
		sum := sha256.Sum256(data)
		got := hex.EncodeToString(sum[:])
		if k[name] == "" {
			k[name] = got
		} else if k[name] != got {
			t.Errorf("%s changed after an interruption", name)
		}
	}
	// the cluster's CA is in the pointer configs; remaking the install
	// directory (moving the old one aside) would change it
	if data, err := os.ReadFile(filepath.Join(r.cluster.Spec.InstallDir, "master.ign")); err == nil {
		sum := sha256.Sum256([]byte(pointerCA(data)))
		got := hex.EncodeToString(sum[:])
		if k["the cluster's root CA"] == "" {
			k["the cluster's root CA"] = got
		} else if k["the cluster's root CA"] != got {
			t.Errorf("the cluster's root CA (master.ign) changed after an interruption")
		}
	}
	// once the manifests are done, the install directory stays: no new backup
	if r.state().Phase(installer.PhaseManifests).Status == installer.StatusDone {
		old, _ := filepath.Glob(r.cluster.Spec.InstallDir + ".okdctl-backup-*")
		got := "backups: " + strings.Join(old, ", ")
		if k["the install directory"] == "" {
			k["the install directory"] = got
		} else if k["the install directory"] != got {
			t.Errorf("the install directory was moved aside and made again after the manifests were done: %s", got)
		}
	}
	if st := r.state(); st.Phase("ignition").Status == installer.StatusDone {
		if _, err := os.Stat(filepath.Join(r.cluster.Spec.InstallDir, "auth/kubeconfig")); err != nil {
			t.Errorf("the install directory lost its kubeconfig: %v", err)
		}
	}
}

// TestServicesDying stops each service okdctl depends on in turn: the
// phase that needs it fails with an error naming it, and a re-run after it
// is back succeeds. A full disk while a config is rewritten leaves the
// old file intact and serving.
func TestServicesDying(t *testing.T) {
	if testing.Short() {
		t.Skip("make test runs it")
	}
	r := newRehearsal(t)
	r.install(t)

	// a hung service is as good as dead to its clients, and the kernel
	// still accepts connections for it: the harder case for timeouts
	for _, svc := range []struct{ service, phase, want string }{
		{"okdctl-etcd", "dns", "etcd"},
		{"okdctl-registry", "registry", "registry"},
	} {
		t.Run(svc.service+" hung", func(t *testing.T) {
			pid := r.servicePIDs()[svc.service]
			syscall.Kill(pid, syscall.SIGSTOP)
			out, code := r.run("apply", "--force", svc.phase)
			syscall.Kill(pid, syscall.SIGCONT)
			t.Logf("%s stopped: %s", svc.service, firstErrorLine(out))
			if code != 1 || !strings.Contains(out, "ERROR: phase "+svc.phase+": ") || !strings.Contains(firstErrorLine(out), svc.want) {
				t.Errorf("with %s stopped: exit %d\n%s", svc.service, code, out)
			}
			r.mustRun("apply")
		})
	}
	t.Run("okdctl-etcd killed and its port taken", func(t *testing.T) {
		hold := r.killAndHoldPort(t, "okdctl-etcd", "etcd")
		out, code := r.run("apply")
		// the holder is this test process: named by program and PID, with
		// the command that frees the port
		pid := strconv.Itoa(os.Getpid())
		if code != 1 || !strings.Contains(out, "spec.bastion.ports.etcd: 127.0.1.1:") || !strings.Contains(out, "(pid "+pid+")") ||
			!strings.Contains(out, "`kill "+pid+"`") {
			t.Errorf("with etcd's port taken: exit %d\n%s", code, out)
		}
		hold.Close()
		out = r.mustRun("apply")
		if !strings.Contains(out, "okdctl-etcd started") {
			t.Errorf("the re-run did not start etcd again:\n%s", out)
		}
	})
	t.Run("kube-apiserver", func(t *testing.T) {
		pid := r.kube.Proc.Cmd.Process.Pid
		syscall.Kill(pid, syscall.SIGSTOP)
		out, code := r.runWithTimeouts(10*time.Second, "apply", "--force", "bootstrap")
		syscall.Kill(pid, syscall.SIGCONT)
		t.Logf("kube-apiserver stopped: %s", firstErrorLine(out))
		if code != 1 || !strings.Contains(firstErrorLine(out), "timed out after 10s waiting for the Kubernetes API") {
			t.Errorf("with the API server stopped: exit %d\n%s", code, out)
		}
		r.mustRun("apply")
	})
	t.Run("full disk", func(t *testing.T) { r.fullDisk(t) })
}

// killAndHoldPort kills a sandbox service and listens on its port so that
// okdctl cannot start it again.
func (r *rehearsal) killAndHoldPort(t *testing.T, service, port string) net.Listener {
	t.Helper()
	pid := r.servicePIDs()[service]
	if pid == 0 {
		t.Fatalf("%s does not run", service)
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	syscall.Kill(pid, syscall.SIGKILL)
	p := r.cluster.Spec.Bastion.Ports
	ports := map[string]int{"etcd": p.Etcd, "registry": p.Registry}
	addr := net.JoinHostPort(bastionIP, strconv.Itoa(ports[port]))
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if l, err = net.Listen("tcp", addr); err == nil {
			return l
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("failed to take %s: %v", addr, err)
	return nil
}

// runWithTimeouts runs okdctl on a copy of the spec whose API and
// bootstrap waits are d.
func (r *rehearsal) runWithTimeouts(d time.Duration, args ...string) (string, int) {
	orig := r.spec
	r.spec = r.variant("short-timeouts", func(c *spec.Cluster) {
		c.Spec.Timeouts.API, c.Spec.Timeouts.Bootstrap = dur(d), dur(d)
	})
	defer func() { r.spec = orig }()
	return r.run(args...)
}

// variant writes a copy of the spec changed by fn and returns its path.
func (r *rehearsal) variant(name string, fn func(c *spec.Cluster)) string {
	data, err := os.ReadFile(r.spec)
	if err != nil {
		r.t.Fatal(err)
	}
	var c spec.Cluster
	if err := yaml.Unmarshal(data, &c); err != nil {
		r.t.Fatal(err)
	}
	fn(&c)
	out, err := yaml.Marshal(&c)
	if err != nil {
		r.t.Fatal(err)
	}
	path := filepath.Join(r.dir, name+".yaml")
	writeFile(r.t, path, out, 0o644)
	return path
}

// fullDisk rewrites haproxy.cfg for a spec with one more worker while
// okdctl may write no file larger than 1 KiB: the write fails, the old
// haproxy.cfg stays whole and HAProxy keeps serving; without the limit the
// same run converges.
func (r *rehearsal) fullDisk(t *testing.T) {
	cfgPath := filepath.Join(r.root, "etc/haproxy/haproxy.cfg")
	before, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	orig := r.spec
	r.spec = r.variant("grown", func(c *spec.Cluster) {
		c.Spec.Nodes = append(c.Spec.Nodes, spec.Node{Name: "w1", Role: spec.RoleWorker, IP: "127.0.1.5", NIC: "eth0"})
	})
	defer func() { r.spec = orig }()

	cmd := r.command("apply", "--only", "loadbalancer")
	cmd.Path = "/bin/bash"
	cmd.Args = append([]string{"bash", "-c", `trap '' XFSZ; ulimit -f 1; exec "$0" "$@"`, r.okdctl}, cmd.Args[1:]...)
	out, err := cmd.CombinedOutput()
	r.outputs.Write(out)
	if err == nil || !strings.Contains(string(out), "file too large") {
		t.Errorf("the write did not fail on a full disk: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(cfgPath); !bytes.Equal(after, before) {
		t.Errorf("haproxy.cfg changed although its write failed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(bastionIP, strconv.Itoa(r.cluster.Spec.Bastion.Ports.API)))
	if err != nil {
		t.Errorf("HAProxy stopped serving after the failed write: %v", err)
	} else {
		c.Close()
	}
	r.mustRun("apply", "--only", "loadbalancer")
	if after, _ := os.ReadFile(cfgPath); !strings.Contains(string(after), "127.0.1.5") {
		t.Errorf("the re-run did not converge:\n%s", after)
	}
}

// firstErrorLine is the ERROR: line of an okdctl output.
func firstErrorLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "ERROR: ") {
			return l
		}
	}
	return ""
}

// pointerCA is the certificate authority a pointer ignition config trusts.
func pointerCA(data []byte) string {
	var cfg struct {
		Ignition struct {
			Security struct {
				TLS struct {
					CertificateAuthorities []struct{ Source string }
				}
			}
		}
	}
	if json.Unmarshal(data, &cfg) != nil || len(cfg.Ignition.Security.TLS.CertificateAuthorities) == 0 {
		return ""
	}
	return cfg.Ignition.Security.TLS.CertificateAuthorities[0].Source
}
