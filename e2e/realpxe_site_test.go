package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/vmnode"
)

// checkSitePXE plays a site with its own PXE infrastructure (spec.pxe off,
// okdctl-dnsmasq stopped): the site's dnsmasq gives the addresses and
// serves, over its own TFTP, Debian's lpxelinux.0 to BIOS machines and its
// signed network GRUB to UEFI ones, with the files a person copied out of
// `okdctl boot -o pxe` (pxelinux.cfg/01-<mac>) and `okdctl boot -o grub`
// (grub/grub.cfg, where Debian's grubnetx64.efi looks). The bootstrap
// machine (SeaBIOS, iPXE's ROM loading lpxelinux.0 over TFTP) and the
// master (OVMF's own PXE loading GRUB over TFTP) boot okdctl's kernel and
// initramfs over HTTP with their kernel arguments and verify their
// ignition.
func (r *rehearsal) checkSitePXE(t *testing.T, bridge *vmnode.Bridge, rec map[string]ignition.Record, taps []string) {
	t.Helper()
	s := &r.cluster.Spec
	b, m := rec["bootstrap"], rec["master"]
	root := t.TempDir()
	files := vmnode.PXELinuxFiles(r.mustRun("boot", "-o", "pxe"))
	if len(files) != len(s.Nodes) {
		t.Errorf("`okdctl boot -o pxe` gave %d pxelinux files, want one per node (%d)", len(files), len(s.Nodes))
	}
	files[vmnode.SiteGRUBCfg] = []byte(r.mustRun("boot", "-o", "grub"))
	if err := vmnode.SiteTFTPRoot(root, files); err != nil {
		t.Fatal(err)
	}
	const siteIP = "192.168.120.1"
	var hosts strings.Builder
	for _, n := range []ignition.Record{b, m} {
		short, _, _ := strings.Cut(n.FQDN, ".")
		fmt.Fprintf(&hosts, "dhcp-host=%s,%s,%s\n", n.MAC, n.IP, short)
	}
	site := bridge.Site(t, "pxesite", siteIP+"/24", fmt.Sprintf("port=0\ninterface=pxesite0\nbind-interfaces\nlog-dhcp\n"+
		"dhcp-range=192.168.120.200,192.168.120.220,255.255.255.0,1h\n%s"+
		"dhcp-option=option:router,%s\ndhcp-option=option:dns-server,%s\ndhcp-option=option:domain-name,%s\n"+
		"enable-tftp\ntftp-root=%s\ndhcp-match=set:efi64,option:client-arch,7\n"+
		"dhcp-boot=tag:efi64,%s,,%s\ndhcp-boot=tag:!efi64,%s,,%s\n",
		hosts.String(), s.Network.Gateway, s.Bastion.IP, r.domain(), root, vmnode.SiteGRUB, siteIP, vmnode.SitePXELinux, siteIP))
	vms := map[string]*vmnode.VM{
		"bootstrap-pxelinux": vmnode.Start(t, vmnode.Options{Name: "bootstrap-pxelinux", MAC: b.MAC, Tap: taps[0]}),
		"master-grub":        vmnode.Start(t, vmnode.Options{Name: "master-grub", MAC: m.MAC, Tap: taps[1], UEFI: true, FirmwarePXE: true}),
	}
	waitVMs(t, vms)
	log := site.Log()
	checkTFTPHop(t, log, "the site's dnsmasq", b, "PXEClient:Arch:00000", vmnode.SitePXELinux)
	checkTFTPHop(t, log, "the site's dnsmasq", b, "PXEClient:Arch:00000", "pxelinux.cfg/"+ignition.PXEName(b.MAC))
	checkTFTPHop(t, log, "the site's dnsmasq", m, "PXEClient:Arch:00007", vmnode.SiteGRUB)
	checkTFTPHop(t, log, "the site's dnsmasq", m, "PXEClient:Arch:00007", vmnode.SiteGRUBCfg)
	for name, n := range map[string]ignition.Record{"bootstrap-pxelinux": b, "master-grub": m} {
		reports := strings.Join(vms[name].Reports(), "\n")
		for _, want := range []string{"coreos.live.rootfs_url=" + installer.MediaURL(r.cluster, s.CoreOS.Rootfs) + " " + n.KernelArgs,
			fmt.Sprintf("net mac=%s nic=%s ip=%s/255.255.255.0 gateway=%s hostname=%s nameserver=%s", n.MAC,
				nodeNIC(s, n.Name), n.IP, s.Network.Gateway, n.FQDN, s.Bastion.IP),
			"ignition verified " + n.IgnitionHash} {
			if !strings.Contains(reports, want) {
				t.Errorf("site PXE, %s: no report %q in:\n%s", name, want, reports)
			}
		}
	}
	// GRUB names the kernel it loaded over HTTP first on the command line
	if got := vms["master-grub"].Report("cmdline "); !strings.HasPrefix(got, "cmdline BOOT_IMAGE=(http,") {
		t.Errorf("the master did not boot through GRUB's HTTP: %s", got)
	}
	access, err := os.ReadFile(r.host.Path("/var/log/okdctl-nginx/access.log"))
	if err != nil {
		t.Fatal(err)
	}
	kernel := "/install/" + filepath.Base(installer.MediaURL(r.cluster, s.CoreOS.Kernel))
	for _, n := range []ignition.Record{b, m} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(n.IP) + ` .*"GET ` + regexp.QuoteMeta(kernel) + ` `).Match(access) {
			t.Errorf("%s did not fetch the kernel %s from okdctl's web server", n.Name, kernel)
		}
	}
}
