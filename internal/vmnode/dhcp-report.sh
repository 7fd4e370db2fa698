#!/bin/busybox sh
# udhcpc's script: report the lease on the serial console.
[ "$1" = bound ] || exit 0
echo "OKDCTL-VM dhcp lease mac=$(cat /sys/class/net/$interface/address) ip=$ip mask=$subnet router=$router dns=$dns hostname=$hostname domain=$domain boot_file=$boot_file" > /dev/ttyS0
