package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/okdctl/okdctl/bastion"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Update reports whether the tests run with -update.
func Update() bool { return *update }

// Assert fails t unless got equals the golden file at path; with -update it
// writes got there instead, creating the parent directories.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test %s -update to create it)", err, pkg())
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (run go test %s -update if intended):\n%s", path, pkg(), bastion.Diff(path, want, got))
	}
}

// pkg is the package under test as ./dir relative to the module root
// (tests run in their package's directory).
func pkg() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if rel, err := filepath.Rel(dir, wd); err == nil && rel != "." {
				return "./" + filepath.ToSlash(rel)
			}
			return "."
		}
		if filepath.Dir(dir) == dir {
			return "."
		}
	}
}
