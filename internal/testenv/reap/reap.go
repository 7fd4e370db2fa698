// Package reap makes every process a test binary starts die with it, however
// the test binary ends: t.Cleanup does not run when `go test -timeout`, CI
// or a person kills it, and the programs tests start (okdctl serve, HAProxy,
// nginx, etcd, kube-apiserver, systemd-nspawn) run in their own process
// groups or sessions, so nothing else would stop them.
//
// Importing the package (testenv does) makes a test binary that runs as
// root re-execute itself, before any test runs, as
//
//	outer (the process go test started) -> init, PID 1 of a new PID and mount
//	namespace with its own /proc -> the test binary that runs the tests
//
// The kernel kills every process of a PID namespace when its PID 1 ends.
// init ends when the tests end (passing or not), or when the outer process
// dies: init's parent-death signal is SIGKILL, set from the outer's main
// OS thread, which is locked and lives as long as the outer process (a
// parent-death signal fires when the thread that started the child ends,
// not the process). So a test binary killed with SIGKILL leaves nothing.
//
// A test binary started by a test (a helper) runs inside the namespace it
// was started in. Set OKDCTL_TESTENV_NOREAP=1 to run without namespaces;
// as non-root, or where the kernel refuses them, tests run as before and a
// line on stderr says so.
package reap

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	// EnvRole is "init" in the namespace's PID 1 and "inside" in the test
	// binary it runs, and in everything that starts (helpers included).
	EnvRole = "OKDCTL_TESTENV_REAP"
	// EnvOff turns the namespaces off.
	EnvOff = "OKDCTL_TESTENV_NOREAP"
)

func init() {
	if !testing.Testing() {
		return
	}
	switch os.Getenv(EnvRole) {
	case "inside":
		return
	case "init":
		os.Exit(runInit())
	}
	if os.Getenv(EnvOff) != "" {
		return
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "testenv/reap: not root, so no PID namespace: processes a killed test binary started may outlive it")
		return
	}
	if code, err := runOuter(); err == nil {
		os.Exit(code)
	} else {
		fmt.Fprintf(os.Stderr, "testenv/reap: no PID namespace (%v): processes a killed test binary started may outlive it\n", err)
	}
}

// forwarded are the signals the outer and init pass on to the tests
// (SIGQUIT: go test asks a hung test binary for its goroutines).
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2}

// runOuter starts init in new PID and mount namespaces and returns the
// tests' exit status; an error means init could not start.
func runOuter() (int, error) {
	return rerun(withRole(os.Environ(), "init"), syscall.CLONE_NEWPID|syscall.CLONE_NEWNS)
}

// rerun runs this test binary again with env in the namespaces cloneflags
// asks for, forwards signals to it and returns its exit status; an error
// means it could not start. The child gets SIGKILL when this process ends.
func rerun(env []string, cloneflags uintptr) (int, error) {
	// the parent-death signal belongs to this thread: keep it for good
	runtime.LockOSThread()
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags, Pdeathsig: syscall.SIGKILL}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	if err := cmd.Start(); err != nil {
		signal.Stop(sigs)
		return 0, err
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	return exitCode(cmd.Wait()), nil
}

// runInit is PID 1: it gives the namespace its own /proc, runs the tests,
// forwards signals to them, reaps every orphan, and returns the tests' exit
// status. Its return ends the namespace and everything left in it.
func runInit() int {
	if err := ownProc(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv/reap: %v\n", err)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv/reap: %v\n", err)
		return 2
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	signal.Notify(sigs, syscall.SIGCHLD)
	attr := &os.ProcAttr{Env: withRole(os.Environ(), "inside"), Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}}
	tests, err := os.StartProcess(self, os.Args, attr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv/reap: failed to start the tests: %v\n", err)
		return 2
	}
	for s := range sigs {
		if s != syscall.SIGCHLD {
			_ = tests.Signal(s)
			continue
		}
		if code, done := reapAll(tests.Pid); done {
			return code
		}
	}
	return 2
}

// reapAll collects every ended child; done once the tests have ended.
func reapAll(tests int) (code int, done bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return code, done
		}
		if pid == tests {
			code, done = statusCode(ws), true
		}
	}
}

// ownProc makes mounts private to the namespace and mounts a /proc that
// shows its processes with their own PIDs.
func ownProc() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("failed to make the mounts private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("failed to mount /proc: %w", err)
	}
	return nil
}

func statusCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return 2
	}
	return 0
}

// withRole is env with EnvRole set to role (and no other value of it: a
// duplicate would be read first and start init again).
func withRole(env []string, role string) []string {
	out := make([]string, 0, len(env)+1)
	for _, e := range env {
		if !strings.HasPrefix(e, EnvRole+"=") {
			out = append(out, e)
		}
	}
	return append(out, EnvRole+"="+role)
}
