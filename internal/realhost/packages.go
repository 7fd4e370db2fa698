package realhost

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Suite is the Debian release the root file system is made from.
const Suite = "bookworm"

// Packages are what a user installs on a Debian bastion before running
// okdctl, plus what the tests use inside it. This list is the one place to
// change: the cached tarball is keyed by it, so a change builds a new one
// (a few minutes, once). okdctl serves etcd, CoreDNS and the registry
// itself; Debian's etcd-server and docker-registry stay because a bastion
// may have them running, and preflight must name them.
var Packages = []string{
	// systemd as PID 1, its D-Bus and its network configuration
	"systemd", "systemd-sysv", "dbus", "iproute2",
	// the bastion services okdctl configures
	"haproxy", "nginx", "etcd-server", "etcd-client", "docker-registry",
	// what a user and the tests check with
	"dnsutils", "curl", "ca-certificates", "procps",
}

// Key names a root file system made from Suite and Packages.
func Key() string {
	sum := sha256.Sum256([]byte(Suite + "\n" + strings.Join(Packages, "\n")))
	return hex.EncodeToString(sum[:])[:12]
}
