package reap_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv/reap"
)

const envHelper = "OKDCTL_REAP_TEST_TOKEN"

// TestKilledTestBinaryLeavesNoChildren runs this test binary as a helper
// that starts what tests start (a child in its own process group, and a
// daemon in its own session that outlives its starter, as the sandbox's
// services do), SIGKILLs the helper test binary, and looks for them. With
// the namespaces turned off, the same run leaves both behind: the test can
// fail.
func TestKilledTestBinaryLeavesNoChildren(t *testing.T) {
	if os.Getenv(reap.EnvRole) != "inside" {
		t.Fatalf("the tests do not run inside the reaper's namespace (%s=%q): as root they must", reap.EnvRole, os.Getenv(reap.EnvRole))
	}
	for _, reaped := range []bool{true, false} {
		t.Run(fmt.Sprintf("reaped=%t", reaped), func(t *testing.T) {
			// a unique number: sleep takes it as a (tiny) extra duration
			token := fmt.Sprintf("0.%d%d", os.Getpid(), time.Now().UnixNano())
			t.Cleanup(func() { killToken(token) })
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStartChildren$", "-test.v")
			cmd.Env = withoutRole(os.Environ(), envHelper+"="+token)
			if !reaped {
				cmd.Env = append(cmd.Env, reap.EnvOff+"=1")
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(withToken(token)) < 2 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the helper did not start its children:\n%s", out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Kill() // SIGKILL: no cleanup of its own runs
			cmd.Wait()
			time.Sleep(300 * time.Millisecond)
			left := withToken(token)
			switch {
			case reaped && len(left) > 0:
				t.Errorf("a test binary killed with SIGKILL left processes behind: %v", left)
			case !reaped && len(left) < 2:
				t.Errorf("without the namespaces the helper's children should outlive it (else this test proves nothing): %v", left)
			}
		})
	}
}

// TestHelperStartChildren is the helper: it starts the children and waits
// to be killed.
func TestHelperStartChildren(t *testing.T) {
	token := os.Getenv(envHelper)
	if token == "" {
		t.Skip("a helper process: TestKilledTestBinaryLeavesNoChildren runs it")
	}
	child := exec.Command("sleep", "300", token)
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// a daemon: its starter exits, it lives on in its own session
	daemon := exec.Command("sh", "-c", `setsid sleep 300 "$0" </dev/null >/dev/null 2>&1 & exit 0`, token)
	if err := daemon.Run(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Minute)
}

// withoutRole is env without the reaper's role, so that the helper makes
// its own namespaces as a test binary go test started would.
func withoutRole(env []string, extra ...string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, reap.EnvRole+"=") {
			out = append(out, e)
		}
	}
	return append(out, extra...)
}

// withToken lists the processes whose command line holds token.
func withToken(token string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(token)) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(d, "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		pids = append(pids, pid)
	}
	return pids
}

func killToken(token string) {
	for _, pid := range withToken(token) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
