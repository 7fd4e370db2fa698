// Package pxe is DHCP and TFTP on the bastion for network installs: a
// dnsmasq configuration (static leases by MAC, or proxy DHCP beside a
// site's DHCP server; never an answer to a MAC the spec does not name), the
// TFTP root with iPXE's BIOS and UEFI binaries, and the okdctl-dnsmasq
// service deployed through the bastion's checked replace.
package pxe
