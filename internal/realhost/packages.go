package realhost

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Suite is the Debian release the root file system is made from.
const Suite = "bookworm"

// System is what any booted Debian server has before its user installs
// anything: systemd as PID 1, its D-Bus, and ip/ss (the tests use them;
// okdctl does not).
var System = []string{"systemd", "systemd-sysv", "dbus", "iproute2"}

// Readme is exactly what README.md tells a Debian user to install before
// copying okdctl (its "Running on a real bastion" apt-get line; a test
// keeps the two equal). The bare bastion is System plus Readme and nothing
// else: okdctl serves etcd, CoreDNS and the registry itself.
var Readme = []string{"haproxy", "nginx", "ca-certificates"}

// Packages are the base root file system's: System and Readme. This is
// the one place to change it: the cached tarball is keyed by the list, so
// a change builds a new one (a few minutes, once).
var Packages = append(append([]string{}, System...), Readme...)

// DebianServicesPackages are the layer of the DebianServices flavour:
// Debian's own etcd, docker-registry and firewalld, which a bastion may
// have running before okdctl comes (preflight must name their ports'
// holders; okdctl must open its ports in a running firewalld). netbase
// (/etc/protocols, on every full Debian install) is what firewalld needs
// to start and debootstrap's minimal base lacks.
var DebianServicesPackages = []string{"etcd-server", "docker-registry", "firewalld", "netbase"}

// Flavour is the kind of bastion a container boots.
type Flavour string

const (
	// Bare is the bastion the README describes: System and Readme only.
	Bare Flavour = ""
	// DebianServices is Bare plus a layer with DebianServicesPackages
	// installed, their units enabled as Debian's packages leave them.
	DebianServices Flavour = "debian-services"
	// PXEServer is Bare plus a layer with PXEPackages: what a bastion
	// serving spec.pxe has (README's PXE section).
	PXEServer Flavour = "pxe"
)

// PXEPackages are the layer of the PXEServer flavour: dnsmasq and the
// iPXE binaries it serves over TFTP.
var PXEPackages = []string{"dnsmasq-base", "ipxe"}

// Layers are the layered flavours and their packages, built by `make rootfs`.
var Layers = map[Flavour][]string{DebianServices: DebianServicesPackages, PXEServer: PXEPackages}

// Key names a root file system made from Suite and Packages.
func Key() string { return hashOf(Suite, Packages) }

// layerKey names a flavour's layer: the base it was installed on and its
// packages.
func layerKey(f Flavour) string { return hashOf(Key(), Layers[f]) }

func hashOf(first string, list []string) string {
	sum := sha256.Sum256([]byte(first + "\n" + strings.Join(list, "\n")))
	return hex.EncodeToString(sum[:])[:12]
}
