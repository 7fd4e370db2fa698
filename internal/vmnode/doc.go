// Package vmnode runs the PXE rehearsal's machines: QEMU virtual machines
// (TCG emulation, no KVM needed; SeaBIOS with iPXE's e1000 ROM, or OVMF
// with its own PXE client on virtio-net) booting Debian's kernel with a
// small initramfs of busybox that plays the CoreOS live system (init.sh):
// it reads the node's kernel arguments, configures its NIC, resolves
// api-int, fetches and hash-checks its ignition, reports on the serial
// console and powers off. The machines' network is a bridge with one tap
// per machine inside a network namespace the test created; a site's own
// DHCP and TFTP server (Site, SiteTFTPRoot: pxelinux and GRUB) can join it.
package vmnode
