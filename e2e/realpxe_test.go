package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/realhost"
	"github.com/okdctl/okdctl/internal/vmnode"
	"github.com/okdctl/okdctl/pxe"
	"github.com/okdctl/okdctl/spec"
)

// The PXE rehearsal's machines: the spec's MACs, and one it does not name.
const (
	bootstrapMAC = "52:54:00:aa:bb:02"
	masterMAC    = "52:54:00:aa:bb:03"
	workerMAC    = "52:54:00:aa:bb:04"
	strangerMAC  = "52:54:00:de:ad:01"
)

// TestRealBastionPXE boots virtual machines from okdctl's bastion: the
// lab spec with spec.pxe on the real bastion (internal/realhost), then,
// on a bridge inside the bastion's private network, QEMU machines (TCG
// emulation) whose initramfs plays the CoreOS live system
// (internal/vmnode): the bootstrap node PXE-boots (SeaBIOS, iPXE's e1000
// ROM, okdctl's DHCP, okdctl's iPXE script and media over HTTP); the
// master boots Debian's kernel directly with the kernel arguments `okdctl
// boot` prints, as from a USB stick; the worker, whose ignition on the
// web server has been tampered with, PXE-boots with UEFI: OVMF's own PXE
// client (virtio-net without an option ROM) gets ipxe.efi over okdctl's
// TFTP, which then takes okdctl's script. Each reports on its serial
// console. A DHCP client (udhcpc) with a MAC the spec does not name gets
// no answer. Then proxy mode (BIOS and UEFI beside a site's DHCP server),
// and a site's own PXE infrastructure loading the pxelinux and GRUB files
// `okdctl boot` prints (realpxe_site_test.go).
func TestRealBastionPXE(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a Debian bastion and virtual machines; make test runs it")
	}
	if _, err := vmnode.FindKernel(); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"qemu-system-x86_64", "curl", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for the PXE rehearsal: run `make tools`", tool)
		}
	}
	// only the bastion's own address: the machines take the nodes' ones
	c := realhost.Boot(t, realhost.Options{Flavour: realhost.PXEServer, Addresses: []string{realhost.BastionIP + "/24"}})
	prepareBastion(t, c)
	c.RunInNetns(t, "TestHelperRealPXE", 20*time.Minute)
}

var bootPath = map[string]string{"bootstrap": "BIOS PXE, iPXE ROM", "master": "kernel arguments",
	"worker": "UEFI PXE: OVMF, TFTP ipxe.efi; tampered ignition", "bootstrap-proxy": "BIOS PXE through proxy DHCP",
	"worker-proxy": "UEFI PXE through proxy DHCP: OVMF, TFTP ipxe.efi", "bootstrap-pxelinux": "site's DHCP, lpxelinux.0, okdctl's pxelinux.cfg",
	"master-grub": "site's DHCP, UEFI OVMF, grubnetx64.efi, okdctl's grub.cfg"}

// TestHelperRealPXE runs inside the lab network for TestRealBastionPXE.
func TestHelperRealPXE(t *testing.T) {
	c := realhost.MustAttach(t, "TestRealBastionPXE")
	r := &rehearsal{t: t, dir: c.Path(labDir), root: c.Root, host: c, spec: filepath.Join(labDir, "cluster.yaml")}
	k, err := vmnode.FindKernel()
	if err != nil {
		t.Fatal(err)
	}
	r.writePXESpec(k)
	var err2 error
	if r.cluster, err2 = spec.LoadFile(c.Path(r.spec)); err2 != nil {
		t.Fatalf("the PXE lab spec does not load: %v", err2)
	}
	// preflight names what holds DHCP's port (here: a program outside the
	// bastion's PID namespace, so only the port and the error are known)
	hold, err := net.ListenPacket("udp4", "0.0.0.0:67")
	if err != nil {
		t.Fatal(err)
	}
	out, code := r.run("apply", "--only=preflight")
	hold.Close()
	if code == 0 || !strings.Contains(out, "spec.pxe (DHCP): 0.0.0.0:67 is in use") {
		t.Errorf("preflight did not refuse a taken DHCP port (exit %d):\n%s", code, out)
	}
	skip := "--skip=bootstrap,approve,scale,complete"
	start := time.Now()
	r.mustRun("apply", "--only=preflight,dns,loadbalancer,registry,mirror,installconfig,manifests,ignition")
	// the live system's user types the node's coreos-installer line: its
	// --ignition-hash is baked into the initramfs the bastion serves
	initrd, err := vmnode.Initramfs(k, vmnode.InitramfsOptions{InstallerLines: vmnode.InstallerLines(r.mustRun("boot")), DHCP: true})
	if err != nil {
		t.Fatal(err)
	}
	c.WriteFile(labDir+"/live-initramfs.img", initrd, 0o644)
	out = r.mustRun("apply", skip)
	t.Logf("okdctl apply up to boot (PXE served) took %s", time.Since(start).Round(100*time.Millisecond))
	if !strings.Contains(out, "okdctl-dnsmasq started") {
		t.Errorf("the apply output does not say okdctl-dnsmasq started:\n%s", out)
	}
	r.checkServedBootFiles(t)
	before := r.unit(t, "okdctl-dnsmasq")
	if before.Active != "active" || before.Enabled != "enabled" {
		t.Fatalf("okdctl-dnsmasq: %+v", before)
	}
	var boots []ignition.Record
	if err := json.Unmarshal([]byte(r.mustRun("boot", "-o", "json")), &boots); err != nil {
		t.Fatal(err)
	}
	rec := map[string]ignition.Record{}
	for _, b := range boots {
		rec[b.Name] = b
	}
	// the worker's ignition on the web server is tampered with
	worker := c.Path(filepath.Join("/usr/share/nginx/okdctl", r.cluster.Metadata.Name, "ignition/worker.ign"))
	good, err := os.ReadFile(worker)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(worker, bytes.Replace(good, []byte("{"), []byte(`{"tampered":true,`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	initrdPath := c.Path(labDir + "/live-initramfs.img")
	console := func(b ignition.Record) string { return "console=ttyS0 " + b.KernelArgs }
	taps := []string{vmnode.Tap(0), vmnode.Tap(1), vmnode.Tap(2)}
	bridge := vmnode.NewBridge(t, "labbr", realhost.LinkPeer, taps...)
	// a MAC the spec does not name gets no answer
	if leased, out := bridge.DHCPProbe(t, strangerMAC); leased {
		t.Errorf("a MAC the spec does not name got a DHCP lease:\n%s", out)
	}
	vms := map[string]*vmnode.VM{
		"bootstrap": vmnode.Start(t, vmnode.Options{Name: "bootstrap", MAC: bootstrapMAC, Tap: taps[0]}),
		"master": vmnode.Start(t, vmnode.Options{Name: "master", MAC: masterMAC, Tap: taps[1],
			Kernel: k.Vmlinuz, Initrd: initrdPath, Append: console(rec["master"])}),
		"worker": vmnode.Start(t, vmnode.Options{Name: "worker", MAC: workerMAC, Tap: taps[2], UEFI: true, FirmwarePXE: true}),
	}
	seen := waitVMs(t, vms)
	r.checkNodeVM(t, vms["bootstrap"], rec["bootstrap"], true)
	r.checkNodeVM(t, vms["master"], rec["master"], false)
	if got := vms["master"].Report("cmdline "); got != "cmdline "+console(rec["master"]) {
		t.Errorf("the master did not boot with okdctl's kernel arguments:\n got %s\nwant cmdline %s", got, console(rec["master"]))
	}
	if vms["worker"].Report("ignition REFUSED") == "" || vms["worker"].Report("ignition verified") != "" {
		t.Errorf("the worker did not refuse its tampered ignition: %q", vms["worker"].Reports())
	}
	// UEFI: OVMF's PXE, ipxe.efi over TFTP, the same script (iPXE puts the image name first)
	if got, want := vms["worker"].Report("cmdline "), "initrd=main coreos.live.rootfs_url="+installer.MediaURL(r.cluster, r.cluster.Spec.CoreOS.Rootfs)+" "+rec["worker"].KernelArgs; !strings.HasSuffix(got, want) {
		t.Errorf("the UEFI worker did not boot okdctl's iPXE entry:\n got %s\nwant ...%s", got, want)
	}
	// the PXE machines loaded okdctl's iPXE script (checked above to be `okdctl boot -o ipxe`)
	access, err := os.ReadFile(c.Path("/var/log/okdctl-nginx/access.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bootstrap", "worker"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(rec[name].IP) + ` .*"GET /` + installer.IPXEScriptPath + ` `).Match(access) {
			t.Errorf("%s did not fetch the iPXE script; nginx's access log:\n%s", name, access)
		}
	}
	journal := c.MustRun("journalctl", "--no-pager", "-o", "short-unix", "-u", "okdctl-dnsmasq")
	if !strings.Contains(journal, strangerMAC+" ignored") {
		t.Errorf("dnsmasq did not log the unknown MAC as ignored:\n%s", journal)
	}
	checkTFTPHop(t, journal, "okdctl's dnsmasq", rec["worker"], "PXEClient:Arch:00007", pxe.UEFIBootFile)
	r.reportPXEFigures(t, journal, seen, vms)
	if err := os.WriteFile(worker, good, 0o644); err != nil {
		t.Fatal(err)
	}
	// nothing changed: the re-run writes nothing and restarts nothing
	again := r.mustRun("apply", skip)
	if after := r.unit(t, "okdctl-dnsmasq"); after.MainPID != before.MainPID || after.NRestarts != before.NRestarts {
		t.Errorf("the no-op re-run restarted okdctl-dnsmasq: %+v -> %+v\n%s", before, after, again)
	}
	if !strings.Contains(again, "✓ boot") || strings.Contains(again, "[boot] running") {
		t.Errorf("the re-run did not confirm boot unchanged:\n%s", again)
	}
	site := r.checkProxyPXE(t, bridge, rec, taps, skip)
	// spec.pxe taken out: dnsmasq stops, and stays off after a reboot
	r.cluster.Spec.PXE = spec.PXE{}
	data, err := os.ReadFile(c.Path(r.spec))
	if err != nil {
		t.Fatal(err)
	}
	c.WriteFile(r.spec, regexp.MustCompile(`(?m)^    pxe:\n(        .*\n)+`).ReplaceAll(data, nil), 0o644)
	off := r.mustRun("apply", skip)
	if st := r.unit(t, "okdctl-dnsmasq"); st.Active == "active" || st.Enabled == "enabled" || !strings.Contains(off, "spec.pxe is off: okdctl-dnsmasq stopped and disabled") {
		t.Errorf("okdctl-dnsmasq still serves without spec.pxe: %+v\n%s", st, off)
	}
	site.Stop()
	r.checkSitePXE(t, bridge, rec, taps)
}

// writePXESpec writes examples/lab.yaml with spec.pxe on, a MAC per node,
// Debian's kernel and the rehearsal's initramfs as the live media, no
// mirror registry (the machines need none) and no upstream DNS.
func (r *rehearsal) writePXESpec(k vmnode.Kernel) {
	cl := r.writeLab(func(s *spec.ClusterSpec) {
		no := false
		s.Registry.Enabled, s.Registry.Mirror = &no, &no
		// the release openshift-install's double says it is (nothing pulls it here)
		s.Release.Image = "quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116"
		s.CoreOS.Kernel, s.CoreOS.Initramfs, s.CoreOS.Rootfs = "live-kernel", "live-initramfs.img", "live-rootfs.img"
		s.PXE = spec.PXE{Mode: spec.PXEModeDHCP}
		for i, mac := range []string{bootstrapMAC, masterMAC, workerMAC} {
			s.Nodes[i].MAC = mac
		}
	})
	s, c := &cl.Spec, r.host
	c.WriteFile(labDir+"/"+s.CoreOS.Rootfs, bytes.Repeat([]byte("live-rootfs "), 8192), 0o644)
	c.CopyIn(k.Vmlinuz, labDir+"/"+s.CoreOS.Kernel, 0o644)
	// a placeholder until the ignition exists (the real one carries the hashes)
	c.WriteFile(labDir+"/"+s.CoreOS.Initramfs, []byte("placeholder"), 0o644)
}

// checkServedBootFiles: what the bastion serves is what `okdctl boot`
// prints: the iPXE script over HTTP, pxelinux and GRUB files and iPXE's
// binaries over TFTP.
func (r *rehearsal) checkServedBootFiles(t *testing.T) {
	t.Helper()
	ip := r.cluster.Spec.Bastion.IP
	fetch := func(url string) string {
		out, err := exec.Command("curl", "-sSf", "--max-time", "10", url).Output()
		if err != nil {
			t.Errorf("curl %s: %v", url, err)
		}
		return string(out)
	}
	if got, want := fetch(installer.IPXEScriptURL(r.cluster)), r.mustRun("boot", "-o", "ipxe"); got != want {
		t.Errorf("the served iPXE script is not `okdctl boot -o ipxe`:\n%s\nwant:\n%s", got, want)
	}
	if got, want := fetch("tftp://"+ip+"/grub.cfg"), r.mustRun("boot", "-o", "grub"); got != want {
		t.Errorf("grub.cfg over TFTP is not `okdctl boot -o grub`:\n%s\nwant:\n%s", got, want)
	}
	pxe := r.mustRun("boot", "-o", "pxe")
	name := ignition.PXEName(masterMAC)
	if got := fetch("tftp://" + ip + "/pxelinux.cfg/" + name); got == "" || !strings.Contains(pxe, "# file: pxelinux.cfg/"+name+"\n"+got) {
		t.Errorf("pxelinux.cfg/%s over TFTP is not in `okdctl boot -o pxe`:\n%s\nboot -o pxe:\n%s", name, got, pxe)
	}
	want, err := os.ReadFile("/usr/lib/ipxe/undionly.kpxe")
	if err != nil {
		t.Fatal(err)
	}
	if got := fetch("tftp://" + ip + "/undionly.kpxe"); got != string(want) {
		t.Errorf("undionly.kpxe over TFTP differs from iPXE's (%d bytes, want %d)", len(got), len(want))
	}
}

// checkNodeVM: the machine got its lease (PXE: from okdctl's DHCP, with
// TFTP's iPXE for a client that is not iPXE yet), took the spec's address
// and name, resolved api-int through the bastion and verified its ignition
// against the published hash.
func (r *rehearsal) checkNodeVM(t *testing.T, vm *vmnode.VM, b ignition.Record, pxe bool) {
	t.Helper()
	s := &r.cluster.Spec
	short, domain, _ := strings.Cut(b.FQDN, ".")
	lease := fmt.Sprintf("dhcp lease mac=%s ip=%s mask=255.255.255.0 router=%s dns=%s hostname=%s domain=%s boot_file=undionly.kpxe",
		b.MAC, b.IP, s.Network.Gateway, s.Bastion.IP, short, domain)
	want := []string{lease,
		fmt.Sprintf("net mac=%s nic=%s ip=%s/255.255.255.0 gateway=%s hostname=%s nameserver=%s disk=/dev/sda", b.MAC,
			nodeNIC(s, b.Name), b.IP, s.Network.Gateway, b.FQDN, s.Bastion.IP),
		"resolved api-int." + domain + "=" + s.Bastion.IP,
		"ignition verified " + b.IgnitionHash}
	if pxe {
		want = append(want, "cmdline initrd=main coreos.live.rootfs_url="+installer.MediaURL(r.cluster, s.CoreOS.Rootfs)+" "+b.KernelArgs)
	}
	reports := strings.Join(vm.Reports(), "\n")
	for _, w := range want {
		if !strings.Contains(reports, w) {
			t.Errorf("%s: no report %q in:\n%s", vm.Name, w, reports)
		}
	}
	if b.IgnitionHash == "" {
		t.Errorf("%s: no published ignition hash", b.Name)
	}
}

func nodeNIC(s *spec.ClusterSpec, name string) string {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n.NIC
		}
	}
	return ""
}

// reportWatch records when each machine's reports first appeared.
type reportWatch struct {
	mu   sync.Mutex
	at   map[string]time.Time // "<vm> <report prefix>"
	done chan struct{}
}

func watchReports(vms map[string]*vmnode.VM) *reportWatch {
	w := &reportWatch{at: map[string]time.Time{}, done: make(chan struct{})}
	go func() {
		for {
			select {
			case <-w.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			for name, vm := range vms {
				w.poll(name, vm)
			}
		}
	}()
	return w
}

// poll records the reports of vm seen for the first time. waitVMs polls
// once more when a machine powers off, so that reports written just
// before are not missed (their time is then at the latest the power-off).
func (w *reportWatch) poll(name string, vm *vmnode.VM) {
	now := time.Now()
	reports := vm.Reports()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range reports {
		key := name + " " + strings.Join(strings.Fields(r)[:min(2, len(strings.Fields(r)))], " ")
		if _, ok := w.at[key]; !ok {
			w.at[key] = now
		}
	}
}

func (w *reportWatch) stop() { close(w.done) }

func (w *reportWatch) get(key string) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at[key]
}

// reportPXEFigures logs the PXE figures: machine start to ignition
// verified, and the first DHCP lease (dnsmasq's DHCPACK to iPXE) to the
// ignition fetched.
func (r *rehearsal) reportPXEFigures(t *testing.T, journal string, w *reportWatch, vms map[string]*vmnode.VM) {
	var parts []string
	for _, name := range []string{"bootstrap", "master"} {
		if at := w.get(name + " ignition verified"); !at.IsZero() {
			parts = append(parts, fmt.Sprintf("%s %s", name, at.Sub(vms[name].Started).Round(100*time.Millisecond)))
		}
	}
	t.Logf("machine start to ignition verified (TCG, 3 machines at once): %s", strings.Join(parts, ", "))
	for _, m := range []struct{ name, mac, firmware string }{{"bootstrap", bootstrapMAC, "iPXE ROM"}, {"worker", workerMAC, "OVMF PXE"}} {
		ack := dnsmasqTime(journal, "DHCPACK(", m.mac)
		if fetched := w.get(m.name + " ignition fetched"); !ack.IsZero() && !fetched.IsZero() {
			t.Logf("%s: first DHCP lease (%s) to ignition fetched %s; machine start to lease %s", m.name, m.firmware,
				fetched.Sub(ack).Round(100*time.Millisecond), ack.Sub(vms[m.name].Started).Round(100*time.Millisecond))
		}
	}
}

// dnsmasqTime is the time of the first journal line (short-unix) holding both words.
func dnsmasqTime(journal, a, b string) time.Time {
	for _, l := range strings.Split(journal, "\n") {
		if strings.Contains(l, a) && strings.Contains(l, b) {
			var sec float64
			if _, err := fmt.Sscanf(l, "%f", &sec); err == nil {
				return time.Unix(0, int64(sec*1e9))
			}
		}
	}
	return time.Time{}
}

// checkProxyPXE: with spec.pxe.mode proxy beside a site's DHCP server
// (which gives the address, and no boot file), the bootstrap machine
// PXE-boots again (BIOS, iPXE's ROM) and the worker with UEFI (OVMF's own
// PXE, ipxe.efi over okdctl's TFTP) through okdctl's proxy DHCP, and both
// verify their ignition. The site's server is returned still running.
func (r *rehearsal) checkProxyPXE(t *testing.T, bridge *vmnode.Bridge, rec map[string]ignition.Record, taps []string, skip string) *vmnode.Site {
	t.Helper()
	c := r.host
	s := &r.cluster.Spec
	b, w := rec["bootstrap"], rec["worker"]
	site := bridge.Site(t, "site", "192.168.120.1/24", fmt.Sprintf("port=0\ninterface=site0\nbind-interfaces\nlog-dhcp\n"+
		"dhcp-range=192.168.120.200,192.168.120.220,255.255.255.0,1h\ndhcp-host=%s,%s,%s\ndhcp-host=%s,%s,%s\n"+
		"dhcp-option=option:router,%s\ndhcp-option=option:dns-server,%s\ndhcp-option=option:domain-name,%s\n",
		b.MAC, b.IP, strings.Split(b.FQDN, ".")[0], w.MAC, w.IP, strings.Split(w.FQDN, ".")[0], s.Network.Gateway, s.Bastion.IP, r.domain()))
	data, err := os.ReadFile(c.Path(r.spec))
	if err != nil {
		t.Fatal(err)
	}
	c.WriteFile(r.spec, bytes.Replace(data, []byte("        mode: dhcp\n"), []byte("        mode: proxy\n"), 1), 0o644)
	since := fmt.Sprintf("@%d", time.Now().Unix())
	if out := r.mustRun("apply", skip); !strings.Contains(out, "okdctl-dnsmasq restarted: DHCP (proxy)") {
		t.Errorf("okdctl-dnsmasq was not restarted in proxy mode:\n%s", out)
	}
	vms := map[string]*vmnode.VM{
		"bootstrap-proxy": vmnode.Start(t, vmnode.Options{Name: "bootstrap-proxy", MAC: b.MAC, Tap: taps[0]}),
		"worker-proxy":    vmnode.Start(t, vmnode.Options{Name: "worker-proxy", MAC: w.MAC, Tap: taps[2], UEFI: true, FirmwarePXE: true}),
	}
	waitVMs(t, vms)
	journal := c.MustRun("journalctl", "--no-pager", "-o", "short-unix", "-u", "okdctl-dnsmasq", "--since", since)
	for name, n := range map[string]ignition.Record{"bootstrap-proxy": b, "worker-proxy": w} {
		reports := strings.Join(vms[name].Reports(), "\n")
		for _, want := range []string{"initrd=main coreos.live.rootfs_url=" + installer.MediaURL(r.cluster, s.CoreOS.Rootfs) + " " + n.KernelArgs,
			fmt.Sprintf("dhcp lease mac=%s ip=%s", n.MAC, n.IP), "ignition verified " + n.IgnitionHash} {
			if !strings.Contains(reports, want) {
				t.Errorf("proxy DHCP, %s: no report %q in:\n%s", name, want, reports)
			}
		}
		if !strings.Contains(journal, "PXE(lab0) "+n.MAC+" proxy") {
			t.Errorf("okdctl's dnsmasq did not answer %s as a proxy:\n%s", name, journal)
		}
	}
	checkTFTPHop(t, journal, "okdctl's proxy dnsmasq", w, "PXEClient:Arch:00007", pxe.UEFIBootFile)
	return site
}

// checkTFTPHop: the DHCP server's log (dnsmasq's, log-dhcp) shows n's
// firmware asking as a PXE client of the given vendor class and the TFTP
// server sending it file: the firmware itself made the TFTP hop.
func checkTFTPHop(t *testing.T, log, server string, n ignition.Record, vendor, file string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)vendor class: ` + regexp.QuoteMeta(vendor) + `.*\n(.*\n){0,3}.*(DHCPDISCOVER|PXE)\(\S+\) (\S+ )?` + regexp.QuoteMeta(n.MAC)).MatchString(log) {
		t.Errorf("%s: no DHCP request from %s (%s) with vendor class %s:\n%s", server, n.Name, n.MAC, vendor, log)
	}
	if !regexp.MustCompile(`sent \S*/` + regexp.QuoteMeta(file) + ` to ` + regexp.QuoteMeta(n.IP) + `\b`).MatchString(log) {
		t.Errorf("%s: TFTP did not send %s to %s (%s):\n%s", server, file, n.Name, n.IP, log)
	}
}

// waitVMs waits for every machine to power off (each within 6 minutes)
// and logs how long each took and its reports; the returned watch has
// when each report first appeared.
func waitVMs(t *testing.T, vms map[string]*vmnode.VM) *reportWatch {
	t.Helper()
	seen := watchReports(vms)
	var wg sync.WaitGroup
	took := map[string]time.Duration{}
	var mu sync.Mutex
	for name, vm := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := vm.Wait(6 * time.Minute)
			seen.poll(name, vm)
			mu.Lock()
			took[name] = d
			mu.Unlock()
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen.stop()
	names := make([]string, 0, len(vms))
	for name := range vms {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vm := vms[name]
		verified := "never"
		if at := seen.get(name + " ignition verified"); !at.IsZero() {
			verified = at.Sub(vm.Started).Round(100 * time.Millisecond).String()
		}
		t.Logf("%s (%s): start to ignition verified %s, powered off after %s; reports:\n    %s", name, bootPath[name],
			verified, took[name].Round(100*time.Millisecond), strings.Join(vm.Reports(), "\n    "))
	}
	return seen
}
