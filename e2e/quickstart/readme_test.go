package quickstart

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
)

// sandboxHeading is the README section whose ```sh block TestReadmeSandbox runs.
const sandboxHeading = "### Trying it in a sandbox"

// line is one command of the README's block: its shape (a pattern over
// the command without its comment) and what the README says it does.
type line struct {
	shape string
	check func(t *testing.T, s *step)
}

// step is one command of the block as it ran.
type step struct {
	command, comment string
	out, errOut      string
	code             int
	env              map[string]string // FAKEINSTALL_* after it
}

// sandboxBlock is the shape of the block, command by command: a change to
// the block fails the test until this follows it.
var sandboxBlock = []line{
	{`^make build tools$`, nil}, // replaced: the test has built bin/
	{`^export FAKEINSTALL_RELEASE_IMAGE=\$\(bin/synthrelease --root \.demo --addr 127\.0\.0\.1:15001\)$`, checkRelease},
	{`^export FAKEINSTALL_VERSION=4\.16\.0-0\.okd-sandbox$`, checkExit},
	{`^bin/okdctl apply -f examples/sandbox\.yaml --root \.demo --sandbox --skip bootstrap,approve,scale,complete$`, checkApply},
	{`^dig @127\.0\.1\.1 -p 15353 api\.sandbox\.okd\.test \+short$`, checkAnswer("127.0.1.1")},
	{`^dig @127\.0\.1\.1 -p 15353 -x 127\.0\.1\.3 \+short$`, checkAnswer("m0.sandbox.okd.test.")},
	{`^curl -s http://127\.0\.1\.1:19000/ \| head$`, checkStats},
	{`^bin/okdctl boot -f examples/sandbox\.yaml --root \.demo$`, checkBoot},
	{`^bin/okdctl status -f examples/sandbox\.yaml --root \.demo$`, checkStatus},
	{`^bin/okdctl down -f examples/sandbox\.yaml --root \.demo$`, checkDown},
}

// TestReadmeSandbox runs README.md's "Trying it in a sandbox" block as
// written, in one shell as if pasted, in a copy of examples/ with bin/
// built (its `make build tools` is the one line not run), as an
// unprivileged user (the README says the sandbox runs as your user), then
// checks each command's exit status and what the README's comments
// promise, that `down` left nothing running, and what the README says
// `status` shows after it.
func TestReadmeSandbox(t *testing.T) {
	needPrivateNetwork(t)
	for _, p := range []string{"haproxy", "nginx", "dig", "curl"} {
		testenv.Binary(t, p)
	}
	block := readmeBlock(t)
	tree := newTree(t, "examples")
	steps := runBlock(t, tree, block)
	// it ran as nobody: what it wrote is nobody's
	state := filepath.Join(tree, ".demo/var/lib/okdctl/sandbox/state.json")
	if fi, err := os.Stat(state); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 65534 {
		t.Errorf("the block's state %s is not nobody's (%v): the block did not run unprivileged", state, err)
	}
	for i, s := range steps {
		if s.code < 0 {
			t.Errorf("`%s` did not run (the shell ended before it)", s.command)
			continue
		}
		if check := sandboxBlock[i].check; check != nil {
			check(t, s)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	checkStopped(t, tree, "the block's okdctl down")

	// "After down, status still shows the state ..."
	after := run(t, tree, userEnv(), time.Minute, "bin/okdctl", "status", "-f", "examples/sandbox.yaml", "--root", ".demo")
	checkStatusAfterDown(t, after)
}

// readmeBlock is the block's lines, checked against sandboxBlock's shapes.
func readmeBlock(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n"+sandboxHeading+"\n")
	if !ok {
		t.Fatalf("README.md has no section %q: this test runs its ```sh block", sandboxHeading)
	}
	_, rest, ok := strings.Cut(section, "```sh\n")
	body, _, closed := strings.Cut(rest, "\n```")
	if !ok || !closed || strings.Contains(strings.SplitN(section, "```sh\n", 2)[0], "\n#") {
		t.Fatalf("README.md's %q has no ```sh block before its next heading", sandboxHeading)
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != len(sandboxBlock) {
		t.Fatalf("README.md's sandbox block has %d lines, this test knows %d: update sandboxBlock (and its checks) with the block:\n%s", len(lines), len(sandboxBlock), body)
	}
	for i, l := range lines {
		cmd, _ := splitComment(l)
		if !regexp.MustCompile(sandboxBlock[i].shape).MatchString(cmd) {
			t.Errorf("README.md's sandbox block, line %d: %q does not match %s: update sandboxBlock (and its check) with the block", i+1, cmd, sandboxBlock[i].shape)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return lines
}

// splitComment cuts a line at its shell comment (a # after a blank).
func splitComment(l string) (cmd, comment string) {
	if i := strings.Index(l, " #"); i >= 0 {
		return strings.TrimSpace(l[:i]), strings.TrimSpace(l[i+2:])
	}
	return strings.TrimSpace(l), ""
}

// runBlock runs the block's lines, as written and in order, in one bash
// in tree, recording each one's output, exit status and FAKEINSTALL_*
// afterwards; the first line (make build tools) is not run.
func runBlock(t *testing.T, tree string, lines []string) []*step {
	t.Helper()
	rec := t.TempDir()
	giveToNobody(t, tree, rec)
	var script strings.Builder
	for i, l := range lines[1:] {
		n := i + 1
		// the line as pasted, then a newline (its comment ends there)
		fmt.Fprintf(&script, "{ %s\n} >%s/%d.out 2>%s/%d.err; echo $? >%s/%d.rc; env | grep '^FAKEINSTALL_' >%s/%d.env\n",
			l, rec, n, rec, n, rec, n, rec, n)
	}
	r := run(t, tree, userEnv("HOME="+tree), 5*time.Minute, "setpriv", append(nobody, "bash", "-c", script.String())...)
	if r.code != 0 || r.out != "" {
		t.Logf("the shell running the block: exit status %d, output:\n%s", r.code, r.out)
	}
	steps := make([]*step, len(lines))
	for i, l := range lines {
		s := &step{code: -1, env: map[string]string{}}
		s.command, s.comment = splitComment(l)
		steps[i] = s
		if i == 0 {
			s.code = 0
			continue
		}
		read := func(ext string) string {
			b, _ := os.ReadFile(fmt.Sprintf("%s/%d.%s", rec, i, ext))
			return string(b)
		}
		if rc := strings.TrimSpace(read("rc")); rc != "" {
			fmt.Sscan(rc, &s.code)
		}
		s.out, s.errOut = read("out"), read("err")
		for _, e := range strings.Fields(read("env")) {
			k, v, _ := strings.Cut(e, "=")
			s.env[k] = v
		}
		t.Logf("`%s`: exit status %d", s.command, s.code)
	}
	return steps
}

// nobody runs a command as the unprivileged user nobody (setpriv, from
// util-linux).
var nobody = []string{"--reuid=65534", "--regid=65534", "--clear-groups"}

// giveToNobody lets nobody write in dirs (and pass through their parents,
// which t.TempDir makes 0700).
func giveToNobody(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.Chown(d, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		for p := filepath.Dir(d); p != "/"; p = filepath.Dir(p) {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm()&0o001 == 0 {
				if err := os.Chmod(p, fi.Mode().Perm()|0o011); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
