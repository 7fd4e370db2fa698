package ignition

import (
	"errors"
	"fmt"
	"strings"
)

// Boot is what one node's boot artifacts are made of. Everything is derived
// from the spec, so `okdctl boot` works on a laptop; IgnitionHash stays empty
// until the ignition phase has produced the node's ignition.
type Boot struct {
	Name string
	Role string
	FQDN string
	IP   string
	MAC  string // lower case, for PXE and the boot menus' automatic choice
	// Static network for the live system (the ip= kernel argument).
	Gateway string
	Netmask string
	// NIC is the interface of the ip= argument; empty applies the address
	// to the interface that comes up (single-NIC machines).
	NIC         string
	Nameservers []string
	Disk        string // /dev/... ; bare names are completed
	IgnitionURL string
	// IgnitionHash is sha512-<hex> of the served ignition; empty until it exists.
	IgnitionHash string
	// ImageURL is set only to install the bastion's image instead of the live
	// media's own. ImageSigned says a signature is hosted at ImageURL+".sig";
	// otherwise coreos.inst.insecure is added.
	ImageURL    string
	ImageSigned bool
	// Live media for network boots (iPXE, PXE, GRUB): kernel, initramfs and
	// rootfs URLs on the bastion. Empty when the spec does not give them.
	KernelURL    string
	InitramfsURL string
	RootfsURL    string
	// Keyfile is the node's NetworkManager keyfile (NetworkKeyfile), for
	// media that carry the static network themselves (iso-customize).
	Keyfile string
}

// ErrNoPXEMedia says that a network boot format needs the live kernel,
// initramfs and rootfs.
var ErrNoPXEMedia = errors.New("network boot formats (ipxe, pxe, grub) need the live kernel, initramfs and rootfs: set spec.coreos.kernel, spec.coreos.initramfs and spec.coreos.rootfs (files or URLs the bastion hosts)")

func (b Boot) disk() string {
	if b.Disk != "" && !strings.HasPrefix(b.Disk, "/") {
		return "/dev/" + b.Disk
	}
	return b.Disk
}

func (b Boot) check() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"ip", b.IP}, {"gateway", b.Gateway}, {"netmask", b.Netmask},
		{"disk", b.Disk}, {"ignition URL", b.IgnitionURL},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(b.Nameservers) == 0 {
		missing = append(missing, "nameserver")
	}
	if len(missing) > 0 {
		return fmt.Errorf("failed to render the boot line of node %s: no %s: set them in spec.nodes (disk) or spec.network", b.Name, strings.Join(missing, ", "))
	}
	return nil
}

// KernelArgs is the line to append at the live media's boot prompt: static
// network, the install disk, the ignition URL and, only when installing the
// bastion's image, its URL. There is no kernel argument for the ignition
// hash: it travels in the coreos-installer command.
func KernelArgs(b Boot) string {
	args := []string{fmt.Sprintf("ip=%s::%s:%s:%s:%s:none", b.IP, b.Gateway, b.Netmask, b.FQDN, b.NIC)}
	for _, ns := range b.Nameservers {
		args = append(args, "nameserver="+ns)
	}
	args = append(args, "rd.neednet=1", "coreos.inst.install_dev="+b.disk(), "coreos.inst.ignition_url="+b.IgnitionURL)
	if b.ImageURL != "" {
		args = append(args, "coreos.inst.image_url="+b.ImageURL)
		if !b.ImageSigned {
			args = append(args, "coreos.inst.insecure")
		}
	}
	return strings.Join(args, " ")
}

// LiveKernelArgs is the kernel command line of a network boot: the live
// rootfs, then KernelArgs.
func LiveKernelArgs(b Boot) string {
	return "coreos.live.rootfs_url=" + b.RootfsURL + " " + KernelArgs(b)
}

// InstallCommand is the coreos-installer command equivalent to the kernel
// arguments, for a shell on the live system. With the ignition hash the node
// refuses tampered or stale ignition served over plain HTTP; without it
// (ignition not made yet) coreos-installer needs --insecure-ignition.
func InstallCommand(b Boot) string {
	args := []string{"sudo coreos-installer install", b.disk(), "--ignition-url=" + b.IgnitionURL}
	if b.IgnitionHash != "" {
		args = append(args, "--ignition-hash="+b.IgnitionHash)
	} else {
		args = append(args, "--insecure-ignition")
	}
	if b.ImageURL != "" {
		args = append(args, "--image-url="+b.ImageURL)
		if !b.ImageSigned {
			args = append(args, "--insecure")
		}
	}
	return strings.Join(args, " ")
}

// HasPXEMedia reports whether the live kernel, initramfs and rootfs are known.
func (b Boot) HasPXEMedia() bool {
	return b.KernelURL != "" && b.InitramfsURL != "" && b.RootfsURL != ""
}

// PXEName is the pxelinux config file name for a MAC: 01-aa-bb-cc-dd-ee-ff.
func PXEName(mac string) string {
	return "01-" + strings.ReplaceAll(strings.ToLower(mac), ":", "-")
}
