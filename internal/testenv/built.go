package testenv

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Built is a main package of this checkout (pkg as `go build` takes it,
// ./internal/fakeinstall) built as name, beside Okdctl's binary in this
// process's own directory, so a program that looks for okdctl beside itself
// (synthrelease) finds it. Like Okdctl, it builds once per test process into
// a stable per-checkout path (go build relinks only when a source changed)
// and copies from there.
func Built(t testing.TB, pkg, name string) string {
	t.Helper()
	okdctl := Okdctl(t)
	builtMu.Lock()
	once, ok := builtOnce[name]
	if !ok {
		once = sync.OnceValues(func() (string, error) { return build(pkg, name, filepath.Dir(okdctl)) })
		builtOnce[name] = once
	}
	builtMu.Unlock()
	p, err := once()
	if err != nil {
		t.Fatalf("failed to build %s for this test: %v", pkg, err)
	}
	return p
}

var (
	builtMu   sync.Mutex
	builtOnce = map[string]func() (string, error){}
)

func build(pkg, name, own string) (string, error) {
	bin := filepath.Join(own, name)
	return bin, lockedBuild(pkg, name, func(_, build string) error { return copyExecutable(build, bin) })
}

// LinkExecutable puts the program from at to: a hard link, else a copy.
func LinkExecutable(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	return copyExecutable(from, to)
}
