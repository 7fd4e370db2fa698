package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Okdctl is the okdctl binary built from this checkout, the program that
// serves the bastion's etcd, CoreDNS and registry (`okdctl serve ...`). A
// test binary cannot serve them itself (os.Executable is the test), so the
// first call in a test process builds ./cmd/okdctl; go build relinks only
// when a source changed, since the build output path is stable per checkout.
func Okdctl(t testing.TB) string {
	t.Helper()
	p, err := okdctlOnce()
	if err != nil {
		t.Fatalf("failed to build okdctl for this test: %v", err)
	}
	return p
}

var okdctlOnce = sync.OnceValues(buildOkdctl)

// buildOkdctl builds under a lock into <cache>/okdctl.build (a stable
// path, so go build can tell it is up to date), then copies it to a path
// of this process's own: a later build by another test process never
// rewrites a binary that runs.
func buildOkdctl() (string, error) {
	var bin string
	err := lockedBuild("./cmd/okdctl", "okdctl", func(dir, build string) error {
		removeStale(dir)
		own, err := os.MkdirTemp(dir, "run-")
		if err != nil {
			return err
		}
		// held (shared) while this process lives: PIDs say nothing across
		// the PID namespaces test binaries run in (testenv/reap)
		if aliveLock, err = os.Create(filepath.Join(own, "alive")); err != nil {
			return err
		}
		if err := syscall.Flock(int(aliveLock.Fd()), syscall.LOCK_SH); err != nil {
			return fmt.Errorf("failed to lock %s: %w", aliveLock.Name(), err)
		}
		bin = filepath.Join(own, "okdctl")
		return copyExecutable(build, bin)
	})
	return bin, err
}

// lockedBuild builds pkg into <cache>/<name>.build under the checkout's
// build lock, then calls then with the cache directory and that path,
// still under the lock.
func lockedBuild(pkg, name string, then func(dir, build string) error) error {
	dir, err := okdctlCacheDir()
	if err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("failed to lock %s: %w", lock.Name(), err)
	}
	build := filepath.Join(dir, name+".build")
	cmd := exec.Command("go", "build", "-o", build, pkg)
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return then(dir, build)
}

// aliveLock is kept open (and locked) for the life of the test process.
var aliveLock *os.File

// okdctlCacheDir is per checkout, outside it (the repository stays clean).
func okdctlCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(RepoRoot()))
	dir := filepath.Join(base, "okdctl-test", hex.EncodeToString(sum[:6]))
	return dir, os.MkdirAll(dir, 0o755)
}

// removeStale deletes the copies of test processes that have ended: their
// alive file is no longer locked (an old copy without one, after an hour).
func removeStale(dir string) {
	runs, _ := filepath.Glob(filepath.Join(dir, "run-*"))
	for _, r := range runs {
		f, err := os.Open(filepath.Join(r, "alive"))
		if err != nil {
			if fi, err := os.Stat(r); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.RemoveAll(r)
			}
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.RemoveAll(r)
		}
		f.Close()
	}
}

func copyExecutable(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, to)
}

// CoreDNSCommand is how okdctl runs CoreDNS, less its -conf FILE.
func CoreDNSCommand(t testing.TB) []string {
	t.Helper()
	return []string{Okdctl(t), "serve", "coredns"}
}

// StartCoreDNS serves a Corefile with okdctl's CoreDNS until the test ends.
func StartCoreDNS(t testing.TB, conf string) *Process {
	t.Helper()
	return Start(t, Okdctl(t), "serve", "coredns", "-conf", conf)
}
