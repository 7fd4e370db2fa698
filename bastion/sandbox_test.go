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

// TestSandboxFindsServiceStartedBeforeItsPID is okdctl killed between
// starting a service and recording its pid: the record written before the
// start names the command, by which the process is found, reported
// running and stopped, so its ports are not held by a stranger.
func TestSandboxFindsServiceStartedBeforeItsPID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := &Sandbox{Paths: Paths{Root: t.TempDir()}}
	command := []string{"/bin/sh", "-c", "sleep 30; : " + t.Name() + " " + sb.Paths.Root}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := sb.write("okdctl-orphan", &sandboxRecord{Command: command}); err != nil {
		t.Fatal(err)
	}
	if running, err := sb.Running(ctx, "okdctl-orphan"); !running || err != nil {
		t.Fatalf("the service started before its pid was recorded is not found running: %v", err)
	}
	if pid := sb.PID("okdctl-orphan"); pid != cmd.Process.Pid {
		t.Fatalf("pid %d, want %d", pid, cmd.Process.Pid)
	}
	go cmd.Wait()
	if err := sb.Stop(ctx, "okdctl-orphan"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(cmd.Process.Pid, 0); err == nil {
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat"); !strings.Contains(string(stat), ") Z") {
			t.Fatal("Stop left the service running")
		}
	}
	if running, _ := sb.Running(ctx, "okdctl-orphan"); running {
		t.Fatal("still running after Stop")
	}
}

// TestSandboxFindsRetitledServiceStartedBeforeItsPID is the same for nginx,
// which retitles its master process ("nginx: master process <command>"):
// okdctl killed while the http phase started it must find it, not call it a
// stranger holding the ignition port.
func TestSandboxFindsRetitledServiceStartedBeforeItsPID(t *testing.T) {
	t.Parallel()
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
	}
	if _, err := os.Stat(nginx); err != nil {
		t.Fatalf("nginx is needed by this test: run `make tools` (%v)", err)
	}
	ctx := context.Background()
	sb := &Sandbox{Paths: Paths{Root: t.TempDir()}}
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	// no listener: the test needs no port
	body := "pid " + filepath.Join(dir, "nginx.pid") + ";\nerror_log " + filepath.Join(dir, "error.log") + ";\nevents {}\n"
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	command := []string{nginx, "-c", conf, "-p", dir, "-g", "daemon off; master_process on;"}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// wait until the master retitled itself
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline")
		if strings.HasPrefix(string(data), "nginx: master process") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not retitle itself: %q; its log: %s", data, tail(filepath.Join(dir, "error.log"), 5))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := sb.write("okdctl-nginx", &sandboxRecord{Command: command}); err != nil {
		t.Fatal(err)
	}
	if pid := sb.PID("okdctl-nginx"); pid != cmd.Process.Pid {
		t.Fatalf("the retitled nginx master (pid %d) started before its pid was recorded is found as pid %d", cmd.Process.Pid, pid)
	}
	go cmd.Wait()
	if err := sb.Stop(ctx, "okdctl-nginx"); err != nil {
		t.Fatal(err)
	}
	if running, _ := sb.Running(ctx, "okdctl-nginx"); running {
		t.Fatal("still running after Stop")
	}
}
