#!/bin/busybox sh
# okdctl's stand-in for the CoreOS live system (internal/vmnode). It reads
# the kernel arguments the live system reads (ip=, nameserver=,
# coreos.live.rootfs_url, coreos.inst.install_dev, coreos.inst.ignition_url),
# configures the NIC from them, resolves api-int through the given DNS
# server, fetches the rootfs and the ignition, checks the ignition against
# the --ignition-hash of the node's coreos-installer line (baked into this
# initramfs as /etc/okdctl/coreos-installer, as a person would type it),
# reports every step on the serial console and powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
say() { echo "OKDCTL-VM $*" > /dev/ttyS0; }
fail() { say "FAIL $*"; poweroff -f; }
say "up $(cut -d' ' -f1 /proc/uptime)"
say "cmdline $(cat /proc/cmdline)"
for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m.ko || fail "cannot load $m"
done
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ip=*) IPARG=${arg#ip=} ;;
	nameserver=*) NS=${arg#nameserver=} ;;
	coreos.live.rootfs_url=*) ROOTFS=${arg#coreos.live.rootfs_url=} ;;
	coreos.inst.install_dev=*) DEV=${arg#coreos.inst.install_dev=} ;;
	coreos.inst.ignition_url=*) IGN=${arg#coreos.inst.ignition_url=} ;;
	esac
done
# ip=<client-ip>::<gateway>:<netmask>:<hostname>:<interface>:none
ADDR=$(echo "$IPARG" | cut -d: -f1)
GW=$(echo "$IPARG" | cut -d: -f3)
MASK=$(echo "$IPARG" | cut -d: -f4)
HOST=$(echo "$IPARG" | cut -d: -f5)
NIC=$(echo "$IPARG" | cut -d: -f6)
i=0
while ! ip link show eth0 >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "no eth0"; sleep 0.1
done
MAC=$(cat /sys/class/net/eth0/address)
# the live system's udev names the NIC; here the first one takes the name ip= gives
if [ -n "$NIC" ] && [ "$NIC" != eth0 ]; then ip link set eth0 name "$NIC"; else NIC=eth0; fi
ip link set "$NIC" up
if [ -e /etc/okdctl/dhcp ]; then
	# what the bastion's DHCP server answers this MAC (a machine without ip= would use it)
	udhcpc -i "$NIC" -n -q -t 4 -T 2 -s /bin/dhcp-report >/dev/null 2>&1 || say "dhcp none mac=$MAC"
	ip addr flush dev "$NIC"
fi
[ -n "$IPARG" ] || fail "no ip= argument"
[ -n "$IGN" ] || fail "no coreos.inst.ignition_url argument"
[ -n "$DEV" ] || fail "no coreos.inst.install_dev argument"
ip addr add "$ADDR/$MASK" dev "$NIC" || fail "cannot set $ADDR/$MASK"
[ -n "$GW" ] && ip route add default via "$GW" 2>/dev/null
hostname "$HOST"
echo "nameserver $NS" > /etc/resolv.conf
say "net mac=$MAC nic=$NIC ip=$ADDR/$MASK gateway=$GW hostname=$(hostname) nameserver=$NS disk=$DEV"
CLUSTER=${HOST#*.}
API=$(nslookup "api-int.$CLUSTER" "$NS" 2>/dev/null | awk '/^Address/ && !/#53/ {a=$NF} END {print a}')
[ -n "$API" ] || fail "cannot resolve api-int.$CLUSTER through $NS"
say "resolved api-int.$CLUSTER=$API"
if [ -n "$ROOTFS" ]; then
	wget -q -O /tmp/rootfs "$ROOTFS" || fail "cannot fetch the rootfs $ROOTFS"
	say "rootfs $ROOTFS bytes=$(wc -c < /tmp/rootfs)"
fi
wget -q -O /tmp/ignition "$IGN" || fail "cannot fetch the ignition $IGN"
GOT=sha512-$(sha512sum /tmp/ignition | cut -d' ' -f1)
say "ignition fetched $IGN bytes=$(wc -c < /tmp/ignition) $GOT"
WANT=$(grep -F -- "--ignition-url=$IGN " /etc/okdctl/coreos-installer | sed -n 's/.*--ignition-hash=\([^ ]*\).*/\1/p' | head -n1)
[ -n "$WANT" ] || fail "no --ignition-hash for $IGN in the coreos-installer lines"
if [ "$GOT" = "$WANT" ]; then
	say "ignition verified $WANT"
else
	say "ignition REFUSED: got $GOT, the coreos-installer line wants $WANT"
fi
say "done $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
