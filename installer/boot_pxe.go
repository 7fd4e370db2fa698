package installer

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/pxe"
	"github.com/okdctl/okdctl/spec"
)

// PXE (spec.pxe) belongs to the boot phase: it serves the artifacts that
// phase renders. dnsmasq answers the spec's MACs by DHCP, hands iPXE out
// by TFTP, and iPXE loads the boot phase's boot.ipxe from the web server.

// DNSmasqUser runs okdctl-dnsmasq on a real bastion.
const DNSmasqUser = "dnsmasq"

// DNSmasqConfigPath is the live configuration of okdctl-dnsmasq.
func DNSmasqConfigPath(rc *RunContext) string { return rc.Path("/etc/okdctl/dnsmasq.conf") }

// TFTPRoot is the directory okdctl-dnsmasq serves over TFTP.
func TFTPRoot(rc *RunContext) string { return rc.Path("/var/lib/okdctl-dnsmasq/tftp") }

// IPXEScriptPath is where the web server publishes the boot phase's
// boot.ipxe, under the media's install/ directory.
const IPXEScriptPath = "install/pxe/boot.ipxe"

// IPXEScriptURL is the iPXE script's URL, as DHCP hands it to iPXE.
func IPXEScriptURL(c *spec.Cluster) string { return BaseURL(c) + "/" + IPXEScriptPath }

// pxeServed says whether this run serves PXE: spec.pxe is set and the
// bastion is real (the sandbox has no network to answer DHCP on).
func pxeServed(rc *RunContext) bool { return rc.Spec().PXE.Enabled() && !rc.Sandbox() }

// pxeInput translates the spec for dnsmasq.
func pxeInput(rc *RunContext) pxe.Input {
	c := rc.Cluster()
	s := &c.Spec
	in := pxe.Input{Mode: s.PXE.Mode, Cluster: c.Metadata.Name + "." + s.BaseDomain, ListenIP: s.Bastion.IP,
		Interface: s.PXE.Interface, Network: s.Network.MachineCIDR, Gateway: s.Network.Gateway, DNS: s.NameserverIP(),
		Domain: c.Metadata.Name + "." + s.BaseDomain, TFTPRoot: TFTPRoot(rc), ScriptURL: IPXEScriptURL(c),
		LeaseFile: rc.Path("/var/lib/okdctl-dnsmasq/dnsmasq.leases")}
	for _, n := range s.Nodes {
		if n.MAC != "" {
			in.Hosts = append(in.Hosts, pxe.Host{MAC: strings.ToLower(n.MAC), IP: n.IP, FQDN: c.FQDN(n)})
		}
	}
	return in
}

func ipxeDir(s *spec.ClusterSpec) string {
	if s.PXE.IPXEDir != "" {
		return s.PXE.IPXEDir
	}
	return spec.DefaultIPXEDir
}

func dnsmasqDeployer(rc *RunContext, bin string) *pxe.Deployer {
	d := &pxe.Deployer{Host: rc.Host(), Binary: bin, ConfigPath: DNSmasqConfigPath(rc), IPXEDir: ipxeDir(rc.Spec())}
	if !rc.Sandbox() {
		d.User = DNSmasqUser
	}
	return d
}

// tftpFiles are the boot phase's pxelinux and GRUB files, served by TFTP
// beside the iPXE binaries.
func tftpFiles(files map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for name, data := range files {
		if name == "grub.cfg" || strings.HasPrefix(name, "pxelinux.cfg/") {
			out[name] = data
		}
	}
	return out
}

// servePXE publishes boot.ipxe on the web server and puts dnsmasq live.
func servePXE(ctx context.Context, rc *RunContext, files map[string][]byte) error {
	if !rc.Spec().PXE.Enabled() {
		return stopPXE(ctx, rc)
	}
	if rc.Sandbox() {
		rc.Log().Infof("spec.pxe: DHCP and TFTP are served on a real bastion only (a sandbox has no network to answer on)")
		return nil
	}
	script, ok := files["boot.ipxe"]
	if !ok {
		return fmt.Errorf("spec.pxe needs the iPXE script: set spec.coreos.kernel, initramfs and rootfs")
	}
	written, err := rc.Host().Files.WriteFile(filepath.Join(rc.WebRoot(), IPXEScriptPath), script, 0o644)
	if err != nil {
		return err
	}
	in := pxeInput(rc)
	bin, err := bastion.LookPath("dnsmasq")
	if err == nil {
		_, err = pxe.TFTPFiles(ipxeDir(rc.Spec()), nil)
	} else {
		err = fmt.Errorf("failed to find dnsmasq: %w (Debian/Ubuntu: apt-get install dnsmasq-base ipxe; Fedora/RHEL: dnf install dnsmasq ipxe-bootimgs-x86)", err)
	}
	if err != nil {
		if !rc.DryRun() {
			return err
		}
		rc.Log().Warnf("%v", err)
		rc.Host().Note(fmt.Sprintf("write %s and the TFTP root %s, check them with dnsmasq --test and run %s", DNSmasqConfigPath(rc), in.TFTPRoot, pxe.ServiceName))
		return nil
	}
	res, err := dnsmasqDeployer(rc, bin).Apply(ctx, in, tftpFiles(files))
	if err != nil {
		return err
	}
	if (written || res.Written || res.TFTPWritten > 0 || res.Action != bastion.Unchanged) && !rc.DryRun() {
		rc.Changed()
		rc.Log().Infof("%s %s: DHCP (%s) and TFTP on %s for %d nodes; iPXE loads %s", pxe.ServiceName, res.Action,
			in.Mode, in.ListenIP, len(in.Hosts), in.ScriptURL)
	}
	return nil
}

// pxeDone confirms what servePXE did: the script published, the live
// configuration and TFTP files as rendered, and dnsmasq running.
func pxeDone(ctx context.Context, rc *RunContext, files map[string][]byte) (bool, error) {
	if !pxeServed(rc) {
		_, err := rc.Host().Files.ReadFile(DNSmasqConfigPath(rc))
		return rc.Sandbox() || err != nil, nil
	}
	if have, err := rc.Host().Files.ReadFile(filepath.Join(rc.WebRoot(), IPXEScriptPath)); err != nil || !bytes.Equal(have, files["boot.ipxe"]) {
		return false, nil
	}
	want, err := pxe.Render(pxeInput(rc))
	if err != nil {
		return false, err
	}
	if live, err := rc.Host().Files.ReadFile(DNSmasqConfigPath(rc)); err != nil || !bytes.Equal(live, want) {
		return false, nil
	}
	tftp, err := pxe.TFTPFiles(ipxeDir(rc.Spec()), tftpFiles(files))
	if err != nil {
		return false, nil // the run says what is missing
	}
	for name, data := range tftp {
		if have, err := rc.Host().Files.ReadFile(filepath.Join(TFTPRoot(rc), name)); err != nil || !bytes.Equal(have, data) {
			return false, nil
		}
	}
	up, _ := rc.Host().Services.Running(ctx, pxe.ServiceName)
	return up, nil
}

// stopPXE stops and disables okdctl-dnsmasq once the spec no longer asks
// for PXE (a bastion that never served it has no configuration to remove).
func stopPXE(ctx context.Context, rc *RunContext) error {
	if rc.Sandbox() {
		return nil
	}
	if _, err := rc.Host().Files.ReadFile(DNSmasqConfigPath(rc)); err != nil {
		return nil
	}
	if err := rc.Host().Services.Stop(ctx, pxe.ServiceName); err != nil {
		return fmt.Errorf("failed to stop %s (spec.pxe is off): %w", pxe.ServiceName, err)
	}
	if _, err := rc.Host().Files.Remove(DNSmasqConfigPath(rc)); err != nil {
		return err
	}
	rc.Changed()
	rc.Log().Infof("spec.pxe is off: %s stopped and disabled, %s removed", pxe.ServiceName, DNSmasqConfigPath(rc))
	return nil
}
