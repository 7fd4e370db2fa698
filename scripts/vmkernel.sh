#!/bin/bash
# Puts Debian's linux-image-amd64 kernel and its NIC modules (e1000, and
# virtio-net with what it needs, in load order) into DIR
# (default /var/cache/okdctl-test/vm) for the PXE rehearsal's virtual
# machines: the package is downloaded and unpacked, never installed.
set -euo pipefail
dir=${1:-/var/cache/okdctl-test/vm}
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$pkg" ] || { echo "cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }
kver=${pkg#linux-image-}
# keep in step with internal/vmnode.Modules
modules="e1000 virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"
have=yes
for m in $modules; do [ -s "$dir/$kver/$m.ko" ] || have=no; done
if [ -s "$dir/$kver/vmlinuz" ] && [ $have = yes ]; then
	echo "VM kernel present: $dir/$kver"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1 || apt-get download "$pkg")
dpkg-deb -x "$tmp"/*.deb "$tmp/x"
mkdir -p "$dir/$kver"
cp "$tmp/x/boot/vmlinuz-$kver" "$dir/$kver/vmlinuz.part" && mv "$dir/$kver/vmlinuz.part" "$dir/$kver/vmlinuz"
for m in $modules; do
	f=$(find "$tmp/x/lib/modules" -name "$m.ko")
	[ -n "$f" ] || { echo "$pkg has no $m.ko" >&2; exit 1; }
	cp "$f" "$dir/$kver/$m.ko.part" && mv "$dir/$kver/$m.ko.part" "$dir/$kver/$m.ko"
done
echo "VM kernel $kver in $dir/$kver"
