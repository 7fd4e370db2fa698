package realhost

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// layerDir is a flavour's layer: the upper directory of an overlay on the
// unpacked base in which apt installed its packages (Layers). It is used
// as-is as the upper of two read-only lower layers.
func layerDir(f Flavour) string {
	return filepath.Join(CacheDir(), fmt.Sprintf("debian-%s-%s-%s", Suite, Key(), layerKey(f)))
}

// layerScript installs packages into an overlay on the base tree inside a
// private mount namespace (nothing is mounted on the host): apt reads the
// base's own sources (the machine's mirror, written by debootstrap) with
// the host's resolver bound in, and services are kept from starting.
const layerScript = `set -e
lower="$1" upper="$2" work="$3" m="$4"; shift 4
mount -t overlay okdctl-layer -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$m"
mount --bind /dev "$m/dev"
mount -t proc proc "$m/proc"
mount --bind /etc/resolv.conf "$m/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$m/usr/sbin/policy-rc.d"
chmod 755 "$m/usr/sbin/policy-rc.d"
export DEBIAN_FRONTEND=noninteractive
apt="apt-get -q -o Acquire::Check-Valid-Until=false -o Acquire::Check-Date=false"
chroot "$m" $apt update
chroot "$m" $apt install -y --no-install-recommends "$@"
chroot "$m" apt-get clean
rm -rf "$m"/var/lib/apt/lists/* "$m/usr/sbin/policy-rc.d" "$m"/var/log/apt "$m/var/log/dpkg.log"
`

// BuildLayer makes a flavour's layer unless it exists (the base is
// unpacked first). Concurrent builds wait for each other. A minute or so,
// once: apt downloads the packages and installs them on the base.
func BuildLayer(ctx context.Context, log io.Writer, f Flavour) (string, error) {
	dir := layerDir(f)
	if _, err := os.Stat(dir); err == nil {
		fmt.Fprintf(log, "%s layer cached: %s\n", f, dir)
		return dir, nil
	}
	if _, err := Tree(); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(CacheDir(), ".build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(CacheDir(), "layer-")
	if err != nil {
		return "", fmt.Errorf("failed to create the layer's build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return "", err
		}
	}
	start := time.Now()
	fmt.Fprintf(log, "apt-get install %s on the base root file system\n", strings.Join(Layers[f], " "))
	args := append([]string{"--mount", "--propagation", "private", "sh", "-c", layerScript, "sh",
		treeDir(), filepath.Join(tmp, "upper"), filepath.Join(tmp, "work"), filepath.Join(tmp, "merged")}, Layers[f]...)
	if err := run(ctx, log, "unshare", args...); err != nil {
		return "", err
	}
	if err := os.Chmod(filepath.Join(tmp, "upper"), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "upper"), dir); err != nil {
		return "", fmt.Errorf("failed to keep the layer: %w", err)
	}
	fmt.Fprintf(log, "%s layer built in %s: %s\n", f, time.Since(start).Round(time.Second), dir)
	return dir, nil
}

// lowerDirs is the overlay's read-only stack for a flavour, top first.
func lowerDirs(f Flavour) (string, error) {
	switch f {
	case Bare:
		return treeDir(), nil
	case DebianServices, PXEServer:
		dir := layerDir(f)
		if _, err := os.Stat(dir); err != nil {
			return "", fmt.Errorf("%w (the %s layer %s is missing)", ErrNoRootfs, f, dir)
		}
		return dir + ":" + treeDir(), nil
	}
	return "", fmt.Errorf("unknown root file system flavour %q", f)
}
