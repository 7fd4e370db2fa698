package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// doubleRef is how the sandbox example names okdctl's openshift-install
// test double: bin/ of the repository, made by `make build`.
const doubleRef = "../bin/openshift-install-double"

// ExampleSpec reads examples/<name>.yaml for a test and returns it with the
// file name it is to be loaded as (in examples/, so that its relative paths
// resolve). validate checks that openshiftInstall exists, and bin/ need not
// hold the double when tests run: the sandbox's is replaced by a stub that
// fails when run. A test that runs openshift-install sets its own
// (FakeOpenShiftInstall).
func ExampleSpec(t testing.TB, name string) (string, string) {
	t.Helper()
	file := filepath.Join(RepoRoot(), "examples", name+".yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(data), doubleRef, StubOpenShiftInstall(t), 1), file
}

// StubOpenShiftInstall writes an executable in the test's temporary
// directory that stands for openshift-install where a test never runs it.
func StubOpenShiftInstall(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openshift-install-stub")
	script := "#!/bin/sh\necho 'this test did not expect openshift-install to run (testenv.StubOpenShiftInstall)' >&2\nexit 1\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
