package testenv

import (
	_ "github.com/okdctl/okdctl/internal/testenv/reap" // every process a test starts dies with the test binary

	"context"
	"fmt"
	"github.com/okdctl/okdctl/bastion"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RepoRoot is the directory holding go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary finds a program in the repository's bin/ (built by `make tools`),
// then in PATH, then in /usr/sbin; it fails the test when there is none.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p, err := LookBinary(name)
	if err != nil {
		t.Fatalf("%s is needed by this test and is not installed: run `make tools` (%v)", name, err)
	}
	return p
}

// LookBinary is Binary without a test.
func LookBinary(name string) (string, error) {
	local := filepath.Join(RepoRoot(), "bin", name)
	if fi, err := os.Stat(local); err == nil && !fi.IsDir() {
		return local, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in %s, PATH or /usr/sbin", name, filepath.Join(RepoRoot(), "bin"))
}

var portMu sync.Mutex
var usedPorts = map[int]bool{}

// FreePort returns a TCP port free on ip (default 127.0.0.1), also free
// for UDP, and not handed out before by this process.
func FreePort(t testing.TB, ip string) int {
	t.Helper()
	if ip == "" {
		ip = "127.0.0.1"
	}
	portMu.Lock()
	defer portMu.Unlock()
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatalf("failed to find a free port on %s: %v", ip, err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		u, err := net.ListenPacket("udp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			continue
		}
		u.Close()
		if !usedPorts[port] {
			usedPorts[port] = true
			return port
		}
	}
	t.Fatalf("no free port on %s", ip)
	return 0
}

// Process is a program started by a test.
type Process struct {
	Cmd  *exec.Cmd
	Log  *SafeBuffer
	done chan struct{} // closed once the process is reaped
}

// SafeBuffer is a bytes.Buffer safe for concurrent writes and reads.
type SafeBuffer = bastion.SyncBuffer

// Start runs a program until the test ends; its output is shown when the
// test fails.
func Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(name, args...)
	log := &SafeBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("failed to start %s: %v", name, err)
	}
	done := make(chan struct{})
	p := &Process{Cmd: cmd, Log: log, done: done}
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(name), log.String())
		}
	})
	return p
}

// Stop kills the process now (the test's cleanup then does nothing).
func (p *Process) Stop() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

// Exited reports whether the process has ended (and been reaped).
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitTCP waits until addr accepts connections.
func WaitTCP(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not accept connections within %s: %v", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Etcd is a real etcd server on loopback.
type Etcd struct {
	Endpoint string
	Proc     *Process
	DataDir  string
}

// StartEtcd starts okdctl's etcd (`okdctl serve etcd`) on 127.0.0.1 with
// fresh data.
func StartEtcd(t testing.TB) *Etcd {
	t.Helper()
	return StartEtcdWithData(t, t.TempDir())
}

// StartEtcdWithData starts etcd on an existing (or empty) data directory.
func StartEtcdWithData(t testing.TB, dataDir string) *Etcd {
	t.Helper()
	client := FreePort(t, "")
	peer := FreePort(t, "")
	cu := fmt.Sprintf("http://127.0.0.1:%d", client)
	pu := fmt.Sprintf("http://127.0.0.1:%d", peer)
	p := Start(t, Okdctl(t), "serve", "etcd", "--name", "default", "--data-dir", dataDir,
		"--listen-client-urls", cu, "--advertise-client-urls", cu,
		"--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
		"--initial-cluster", "default="+pu, "--log-level", "warn")
	WaitTCP(t, fmt.Sprintf("127.0.0.1:%d", client), 20*time.Second)
	return &Etcd{Endpoint: cu, Proc: p, DataDir: dataDir}
}

// Context is a test context that ends with the test (or after d).
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
