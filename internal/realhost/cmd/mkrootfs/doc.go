// Command mkrootfs builds the real-bastion root file system tarball and
// its debian-services layer (internal/realhost) unless they are cached;
// `make rootfs` runs it.
package main
