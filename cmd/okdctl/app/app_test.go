package app

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/examples"
	"github.com/okdctl/okdctl/installer"
)

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// doubleStub stands for the sandbox's openshift-install double: it reports
// the sandbox example's release, as the double built for it does, and runs
// nothing else.
const doubleStub = `#!/bin/sh
if [ "$1" = version ]; then
  echo "openshift-install 4.16.0-0.okd-sandbox"
  echo "built from commit 0000000000000000000000000000000000000000"
  echo "release image 127.0.0.1:15001/okd/release:4.16.0-0.okd-sandbox"
  echo "release architecture amd64"
  exit 0
fi
echo "this test's openshift-install stub runs only 'version'" >&2
exit 1
`

// copyExamples copies examples/ into a new directory.
func copyExamples(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(examples.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := examples.FS.ReadFile(p)
		dst := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, ".key") || strings.HasSuffix(p, "-auth.json") {
			mode = 0o600 // secret files: the spec refuses them readable by others
		}
		return os.WriteFile(dst, data, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	// the sandbox example's openshift-install double (../bin/ of examples/)
	stub := filepath.Join(dir, "..", "bin", "openshift-install-double")
	if err := os.MkdirAll(filepath.Dir(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stub, []byte(doubleStub), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// snapshot lists every path under dir with its size and mode.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			fi, _ := d.Info()
			b.WriteString(p + " " + fi.Mode().String() + " " + fi.ModTime().String() + "\n")
		}
		return nil
	})
	return b.String()
}

func TestEveryExampleValidatesAndPlans(t *testing.T) {
	dir := copyExamples(t)
	for _, name := range examples.Names {
		t.Run(name, func(t *testing.T) {
			spec := filepath.Join(dir, name+".yaml")
			if out, errOut, code := run(t, "validate", "-f", spec); code != 0 {
				t.Fatalf("validate exit %d: %s%s", code, out, errOut)
			}
			root := t.TempDir()
			out, errOut, code := run(t, "plan", "-f", spec, "--root", root, "--offline")
			// a phase may fail here (the bastion's address is not this
			// machine's, no openshift-install): plan then exits 1 naming it
			if code != 0 && (code != 1 || !strings.HasPrefix(errOut, "ERROR: the plan has ") || !strings.Contains(out, "WOULD FAIL")) {
				t.Fatalf("plan exit %d: %s", code, errOut)
			}
			for _, p := range installer.PhaseNames() {
				if !strings.Contains(out, "] "+p+": ") {
					t.Errorf("plan does not show the %s phase", p)
				}
			}
			if !strings.Contains(out, "Nothing was changed.") {
				t.Errorf("plan has no closing line:\n%s", out)
			}
			if entries, _ := os.ReadDir(root); len(entries) != 0 {
				t.Errorf("plan wrote under --root: %v", entries)
			}
		})
	}
}

func TestPlanLabOnEmptyMachineChangesNothing(t *testing.T) {
	dir := copyExamples(t)
	before := snapshot(t, dir)
	t.Setenv("PATH", t.TempDir()) // nothing installed
	out, errOut, code := run(t, "plan", "-f", filepath.Join(dir, "lab.yaml"), "--offline")
	if code != 1 || !strings.Contains(errOut, "would fail: preflight") {
		t.Fatalf("plan exit %d: %s", code, errOut)
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("plan changed the spec's directory:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if _, err := os.Stat("/var/lib/okdctl/okd"); err == nil && !strings.Contains(before, "okd") {
		t.Log("note: /var/lib/okdctl/okd exists on this machine (not made by this test)")
	}
	for _, want := range []string{"Plan for okd.example from ", "[1/14] preflight", "[14/14] complete", "missing programs"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q", want)
		}
	}
}

func TestValidateReportsErrorsWithoutStackTrace(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "c.yaml")
	os.WriteFile(spec, []byte("apiVersion: okdctl/v1alpha1\nkind: Cluster\nspec:\n  nodes: [{name: a, role: boss}]\n"), 0o644)
	_, errOut, code := run(t, "validate", "-f", spec)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.HasPrefix(errOut, "ERROR: "+spec+" has ") || strings.Contains(errOut, "goroutine") {
		t.Errorf("unexpected error output:\n%s", errOut)
	}
	if !strings.Contains(errOut, `spec.nodes[0].role: "boss" is not a role`) {
		t.Errorf("field path missing:\n%s", errOut)
	}
	for _, args := range [][]string{{"validate"}, {"validate", "-f", filepath.Join(dir, "missing.yaml")}, {"init", "--example", "nope"}, {"apply", "-f", spec, "--sandbox"}} {
		_, errOut, code := run(t, args...)
		if code != 1 || !strings.HasPrefix(errOut, "ERROR: ") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
}

func TestInitPrintsEveryExample(t *testing.T) {
	t.Chdir(t.TempDir()) // init writes the examples' side files here
	for _, name := range examples.Names {
		out, errOut, code := run(t, "init", "--example", name)
		if code != 0 || !strings.Contains(out, "kind: Cluster") {
			t.Errorf("%s: exit %d %s", name, code, errOut)
		}
		if strings.Contains(out, "example_ed25519") && name != "sandbox" {
			t.Errorf("%s: the starter spec points at the example key instead of the user's", name)
		}
	}
}
