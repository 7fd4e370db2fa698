#!/bin/bash
# Puts Debian's linux-image-amd64 kernel and its e1000 NIC module into DIR
# (default /var/cache/okdctl-test/vm) for the PXE rehearsal's virtual
# machines: the package is downloaded and unpacked, never installed.
set -euo pipefail
dir=${1:-/var/cache/okdctl-test/vm}
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$pkg" ] || { echo "cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }
kver=${pkg#linux-image-}
if [ -s "$dir/$kver/vmlinuz" ] && [ -s "$dir/$kver/e1000.ko" ]; then
	echo "VM kernel present: $dir/$kver"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1 || apt-get download "$pkg")
dpkg-deb -x "$tmp"/*.deb "$tmp/x"
mkdir -p "$dir/$kver"
cp "$tmp/x/boot/vmlinuz-$kver" "$dir/$kver/vmlinuz.part" && mv "$dir/$kver/vmlinuz.part" "$dir/$kver/vmlinuz"
cp "$(find "$tmp/x/lib/modules" -name e1000.ko)" "$dir/$kver/e1000.ko"
echo "VM kernel $kver in $dir/$kver"
