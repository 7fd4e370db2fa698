package bastion

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sleeper is a service that logs each SIGHUP it gets.
func sleeper(t *testing.T, digest string) Service {
	t.Helper()
	return Service{
		Name:         "okdctl-test",
		Command:      []string{"/bin/sh", "-c", `trap 'echo reloaded' HUP; while :; do sleep 0.05; done`},
		ReloadSignal: syscall.SIGHUP,
		ConfigDigest: digest,
	}
}

func TestSandboxEnsureIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := &Sandbox{Paths: Paths{Root: t.TempDir()}}
	t.Cleanup(func() { sb.StopAll(ctx) })

	act, err := sb.Ensure(ctx, sleeper(t, "v1"))
	if err != nil || act != Started {
		t.Fatalf("first ensure: %v %v", act, err)
	}
	pid := sb.PID("okdctl-test")
	if act, _ := sb.Ensure(ctx, sleeper(t, "v1")); act != Unchanged || sb.PID("okdctl-test") != pid {
		t.Fatalf("second ensure: %v, pid %d -> %d", act, pid, sb.PID("okdctl-test"))
	}
	if act, _ := sb.Ensure(ctx, sleeper(t, "v2")); act != Reloaded || sb.PID("okdctl-test") != pid {
		t.Fatalf("config change: %v, pid %d -> %d", act, pid, sb.PID("okdctl-test"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(readFile(sb.LogPath("okdctl-test")), "reloaded") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(readFile(sb.LogPath("okdctl-test")), "reloaded") {
		t.Error("the service did not get its reload signal")
	}
	svc := sleeper(t, "v2")
	svc.Command = append(svc.Command, "extra-arg")
	if act, _ := sb.Ensure(ctx, svc); act != Restarted || sb.PID("okdctl-test") == pid {
		t.Fatalf("command change: %v", act)
	}
}

func TestSandboxServiceOutlivesAndStops(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := &Sandbox{Paths: Paths{Root: t.TempDir()}}
	if _, err := sb.Ensure(ctx, sleeper(t, "")); err != nil {
		t.Fatal(err)
	}
	pid := sb.PID("okdctl-test")
	if pid == 0 {
		t.Fatal("no pid")
	}
	stopped, err := sb.StopAll(ctx)
	if err != nil || len(stopped) != 1 {
		t.Fatalf("stop all: %v %v", stopped, err)
	}
	if syscall.Kill(pid, 0) == nil {
		// a zombie until reaped by our wait goroutine counts as gone
		if data, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); !strings.Contains(string(data), ") Z") {
			t.Error("the process still runs after down")
		}
	}
	if running, _ := sb.Running(ctx, "okdctl-test"); running {
		t.Error("still reported running")
	}
}

func TestSandboxReportsImmediateExit(t *testing.T) {
	t.Parallel()
	sb := &Sandbox{Paths: Paths{Root: t.TempDir()}}
	_, err := sb.Ensure(context.Background(), Service{Name: "okdctl-bad", Command: []string{"/bin/sh", "-c", "echo bad config >&2; exit 3"}})
	if err == nil || !strings.Contains(err.Error(), "exited right after start") || !strings.Contains(err.Error(), "bad config") {
		t.Fatalf("got %v", err)
	}
}

func TestSystemdUnitVerifies(t *testing.T) {
	t.Parallel()
	unit := RenderUnit(Service{
		Name: "okdctl-coredns", Description: "okdctl CoreDNS", User: "coredns",
		Command:      []string{"/usr/local/bin/coredns", "-conf", "/etc/coredns/Corefile"},
		Capabilities: []string{"CAP_NET_BIND_SERVICE"}, ReloadSignal: syscall.SIGUSR1,
		Env: []string{"A=b c"},
	})
	for _, want := range []string{"AmbientCapabilities=CAP_NET_BIND_SERVICE", "User=coredns", `ExecReload=/bin/sh -c 'kill -USR1 "$MAINPID"'`,
		`Environment="A=b c"`, "ExecStart=/usr/local/bin/coredns -conf /etc/coredns/Corefile"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze is needed (apt-get install systemd): %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "okdctl-coredns.service")
	os.WriteFile(path, unit, 0o644)
	os.WriteFile(filepath.Join(dir, "coredns"), []byte("#!/bin/sh\n"), 0o755)
	out, _ := exec.Command(sa, "verify", path).CombinedOutput()
	// verify complains about the missing binary and user on this machine;
	// anything about the unit's syntax is a failure
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "okdctl-coredns.service:") && !strings.Contains(line, "is not executable") &&
			!strings.Contains(line, "No such file") && !strings.Contains(line, "Failed to resolve user") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}

func readFile(p string) string {
	data, _ := os.ReadFile(p)
	return string(data)
}

// TestSandboxFindsAnInterruptedStart: okdctl killed after it started a
// service but before it recorded the PID leaves a record without one; the
// next run finds the process by the pid file it wrote before exec, counts
// it as running (its port is okdctl's own), and reloads or restarts it
// instead of starting a second copy.
func TestSandboxFindsAnInterruptedStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, reload := range []bool{true, false} {
		sb := &Sandbox{Paths: Paths{Root: t.TempDir()}}
		t.Cleanup(func() { sb.StopAll(ctx) })
		svc := sleeper(t, "v1")
		if !reload {
			svc.ReloadSignal = 0
		}
		if _, err := sb.Ensure(ctx, svc); err != nil {
			t.Fatal(err)
		}
		pid := sb.PID(svc.Name)
		r, _ := sb.read(svc.Name)
		r.PID, r.Digest = 0, "" // as written before the start
		if err := sb.write(svc.Name, r); err != nil {
			t.Fatal(err)
		}
		if running, _ := sb.Running(ctx, svc.Name); !running || sb.PID(svc.Name) != pid {
			t.Fatalf("the interrupted start's process %d is not found (running %t, pid %d)", pid, running, sb.PID(svc.Name))
		}
		act, err := sb.Ensure(ctx, svc)
		switch {
		case err != nil:
			t.Fatal(err)
		case reload && (act != Reloaded || sb.PID(svc.Name) != pid):
			t.Errorf("with a reload signal: %s, pid %d -> %d", act, pid, sb.PID(svc.Name))
		case !reload && (act != Restarted || syscall.Kill(pid, 0) == nil):
			t.Errorf("without a reload signal: %s, the old process %d still runs: %v", act, pid, syscall.Kill(pid, 0))
		}
	}
}
