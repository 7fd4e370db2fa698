package quickstart

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/internal/testenv/reap"
)

// needPrivateNetwork fails the test when it would bind the README's fixed
// addresses in the host's network; it skips only where the namespaces are
// off (not root, or OKDCTL_TESTENV_NOREAP), saying why.
func needPrivateNetwork(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end (make test runs it, make unit does not)")
	}
	if os.Getenv(reap.EnvNetwork) == "private" {
		return
	}
	if os.Geteuid() == 0 && os.Getenv(reap.EnvOff) == "" {
		t.Fatal("not in a network namespace of its own (see testenv/reap's message above): the README's fixed loopback addresses would collide with other tests and with a running sandbox")
	}
	t.Skipf("needs a network namespace of its own (run as root, without %s): the README's fixed loopback addresses would collide with a running sandbox", reap.EnvOff)
}

// newTree copies the repository paths a walkthrough uses into a temporary
// directory, with bin/ as `make build` leaves it (okdctl, synthrelease,
// openshift-install-double), so everything it writes (.demo, and the
// sandbox spec's installDir ../.demo/sandbox-install) stays in there. When
// the test ends, whatever it left running under the tree is stopped.
func newTree(t *testing.T, paths ...string) string {
	t.Helper()
	tree := t.TempDir()
	for _, p := range paths {
		if err := copyPath(filepath.Join(testenv.RepoRoot(), p), filepath.Join(tree, p)); err != nil {
			t.Fatalf("failed to copy %s: %v", p, err)
		}
	}
	bin := filepath.Join(tree, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	built := map[string]string{
		"okdctl":                   testenv.Okdctl(t),
		"synthrelease":             testenv.Built(t, "./internal/synthrelease/cmd/synthrelease", "synthrelease"),
		"openshift-install-double": testenv.Built(t, "./internal/fakeinstall", "openshift-install-double"),
	}
	for name, from := range built {
		if err := testenv.LinkExecutable(from, filepath.Join(bin, name)); err != nil {
			t.Fatalf("failed to put %s in %s: %v", name, bin, err)
		}
	}
	t.Cleanup(func() { stopLeftovers(t, tree) })
	return tree
}

func copyPath(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, info.Mode().Perm())
	})
}

// userEnv is the test's environment as a user's shell would have it: none
// of the knobs the walkthroughs set themselves, nor make's from `make test`.
func userEnv(extra ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		name, _, _ := strings.Cut(e, "=")
		switch {
		case strings.HasPrefix(name, "FAKEINSTALL_"), strings.HasPrefix(name, "OPENSHIFT_INSTALL_"),
			strings.HasPrefix(name, "DEMO_"), name == "SANDBOX_PHASES",
			name == "MAKEFLAGS", name == "MAKELEVEL", name == "MFLAGS", name == "MAKEOVERRIDES":
			continue
		}
		env = append(env, e)
	}
	return append(env, extra...)
}

// result is what a command did.
type result struct {
	out     string // stdout and stderr, interleaved
	code    int
	elapsed time.Duration
}

// run runs a command in dir until it exits or the deadline passes (then
// it is killed and the test fails).
func run(t *testing.T, dir string, env []string, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r := result{out: ansi.ReplaceAllString(string(out), ""), elapsed: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s did not end within %s; its output:\n%s", name, strings.Join(args, " "), timeout, r.out)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("failed to run %s: %v", name, err)
	}
	return r
}

// ansi matches the terminal colours demo.sh prints around its steps.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)
