// Package realhost is the real-bastion test harness: a Debian bookworm root
// file system made with debootstrap from the machine's own apt mirror and
// cached as a tarball, booted with systemd as PID 1 by systemd-nspawn in a
// private network namespace that holds the seed's 192.168.120.x addresses.
// Three flavours: Bare (systemd plus exactly the README's apt-get line),
// DebianServices (plus an overlay layer, built once with apt and cached,
// holding Debian's etcd-server, docker-registry and firewalld) and
// PXEServer (plus a layer with dnsmasq-base and ipxe). Tests run
// commands inside with nsenter and tear the container down by its PID
// whatever happened.
package realhost
