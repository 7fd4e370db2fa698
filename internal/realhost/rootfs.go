package realhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultCacheDir keeps the root file system tarballs, outside any
// checkout; OKDCTL_ROOTFS_CACHE overrides it.
const DefaultCacheDir = "/var/cache/okdctl-test"

// CacheDir is where the tarballs are kept.
func CacheDir() string {
	if d := os.Getenv("OKDCTL_ROOTFS_CACHE"); d != "" {
		return d
	}
	return DefaultCacheDir
}

// Tarball is the cached root file system for Suite and Packages.
func Tarball() string {
	return filepath.Join(CacheDir(), fmt.Sprintf("debian-%s-%s.tar.zst", Suite, Key()))
}

// ErrNoRootfs is returned when the tarball has not been built.
var ErrNoRootfs = errors.New("the real-bastion root file system is not built: run `make rootfs` (debootstrap, a few minutes the first time)")

// Build makes the tarball unless it exists: debootstrap of Suite with
// Packages from the machine's apt mirror, configured for booting in
// systemd-nspawn, packed with zstd. Concurrent builds wait for each other.
// It returns the tarball's path and logs progress to log.
func Build(ctx context.Context, log io.Writer) (string, error) {
	tarball := Tarball()
	if err := os.MkdirAll(CacheDir(), 0o755); err != nil {
		return "", fmt.Errorf("failed to create the rootfs cache: %w", err)
	}
	unlock, err := lockFile(filepath.Join(CacheDir(), ".build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(tarball); err == nil {
		fmt.Fprintf(log, "root file system cached: %s\n", tarball)
		return tarball, nil
	}
	for _, tool := range []string{"debootstrap", "zstd", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("%s is needed to build the root file system: run `make tools`", tool)
		}
	}
	mirror, err := Mirror()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(CacheDir(), "build-")
	if err != nil {
		return "", fmt.Errorf("failed to create the build directory: %w", err)
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "root")
	start := time.Now()
	fmt.Fprintf(log, "debootstrap %s from %s with %s\n", Suite, mirror, strings.Join(Packages, " "))
	if err := run(ctx, log, "debootstrap", "--variant=minbase", "--include="+strings.Join(Packages, ","),
		Suite, root, mirror); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "debootstrap took %s\n", time.Since(start).Round(time.Second))
	if err := configure(ctx, log, root); err != nil {
		return "", err
	}
	packed := filepath.Join(dir, "rootfs.tar.zst")
	if err := run(ctx, log, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", root,
		"-I", "zstd -T0 -3", "-cf", packed, "."); err != nil {
		return "", err
	}
	if err := os.Rename(packed, tarball); err != nil {
		return "", fmt.Errorf("failed to keep the root file system: %w", err)
	}
	fmt.Fprintf(log, "root file system built in %s: %s\n", time.Since(start).Round(time.Second), tarball)
	return tarball, nil
}

// configure prepares a fresh debootstrap for booting as a bastion:
// no resolver of the build machine, a machine id made at boot,
// systemd-networkd on, apt's downloads dropped.
func configure(ctx context.Context, log io.Writer, root string) error {
	files := map[string]string{
		"etc/hostname":    "bastion\n",
		"etc/hosts":       "127.0.0.1\tlocalhost\n127.0.1.1\tbastion\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		"etc/resolv.conf": "# no resolver: the container's network is private\n",
		"etc/machine-id":  "",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		os.Remove(p)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("failed to write %s: %w", name, err)
		}
	}
	if err := run(ctx, log, "chroot", root, "systemctl", "enable", "systemd-networkd.service"); err != nil {
		return err
	}
	for _, glob := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*_*", "var/log/*.log"} {
		matches, _ := filepath.Glob(filepath.Join(root, glob))
		for _, m := range matches {
			os.Remove(m)
		}
	}
	return nil
}

// run runs a command with its output going to log.
func run(ctx context.Context, log io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var tail tailWriter
	cmd.Stdout = io.MultiWriter(log, &tail)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("failed to run %s %s: %w\n%s", name, strings.Join(args, " "), err, tail.String())
	}
	return nil
}

// tailWriter keeps the last 4 KiB written to it.
type tailWriter struct{ b []byte }

func (w *tailWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	if len(w.b) > 4096 {
		w.b = w.b[len(w.b)-4096:]
	}
	return len(p), nil
}

func (w *tailWriter) String() string { return string(w.b) }

// lockFile takes an exclusive flock on path until the returned func runs.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// treeDir is the unpacked tarball, the overlay's read-only lower layer.
func treeDir() string { return strings.TrimSuffix(Tarball(), ".tar.zst") }

// Tree unpacks the tarball once into treeDir (concurrent callers wait for
// each other) and returns how long that took: 0 when it was there.
func Tree() (time.Duration, error) {
	dir := treeDir()
	if _, err := os.Stat(filepath.Join(dir, "etc/os-release")); err == nil {
		return 0, nil
	}
	if _, err := os.Stat(Tarball()); err != nil {
		return 0, fmt.Errorf("%w (%s is missing)", ErrNoRootfs, Tarball())
	}
	unlock, err := lockFile(filepath.Join(CacheDir(), ".build.lock"))
	if err != nil {
		return 0, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "etc/os-release")); err == nil {
		return 0, nil
	}
	start := time.Now()
	tmp := dir + ".unpacking"
	os.RemoveAll(tmp)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return 0, fmt.Errorf("failed to unpack the root file system: %w", err)
	}
	out, err := exec.Command("tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-I", "zstd -T0",
		"-xpf", Tarball(), "-C", tmp).CombinedOutput()
	if err != nil {
		os.RemoveAll(tmp)
		return 0, fmt.Errorf("failed to unpack %s: %w\n%s", Tarball(), err, out)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return 0, err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return 0, fmt.Errorf("failed to keep the unpacked root file system: %w", err)
	}
	return time.Since(start), nil
}
