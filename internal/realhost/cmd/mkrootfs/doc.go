// Command mkrootfs builds the real-bastion root file system tarball
// (internal/realhost) unless it is cached; `make rootfs` runs it.
package main
