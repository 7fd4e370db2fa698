package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/examples"
	"github.com/okdctl/okdctl/internal/realhost"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestRealBastionOps is the rest of okdctl's work on a real systemd
// bastion (Debian bookworm, internal/realhost; the debian-services
// flavour: Debian's etcd, docker-registry and firewalld installed and
// running as their packages leave them), with the lab spec's DNS,
// load balancer and registry phases: preflight on a bastion where Debian's
// own nginx, haproxy, etcd and docker-registry run; the bastion resolving
// its cluster while a site DNS server keeps answering other names; every
// unit's systemd-analyze security exposure; a unit that cannot bind its
// port; and okdctl down (twice, then apply again, then --purge).
func TestRealBastionOps(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a Debian bastion; make test runs it")
	}
	c := realhost.Boot(t, realhost.Options{Flavour: realhost.DebianServices})
	o := &opsBastion{t: t, c: c}
	o.prepare()
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{{"preflight names Debian's services", o.preflight}, {"the bastion resolves its cluster", o.resolver},
		{"units are confined", o.exposure}, {"firewalld started after apply", o.firewalld},
		{"a unit that cannot bind its port", o.fault}, {"down", o.down}} {
		// the steps run in order on one bastion; helpers fail the running step
		t.Run(step.name, func(t *testing.T) { o.t = t; step.run(t) })
	}
}

type opsBastion struct {
	t *testing.T
	c *realhost.Container
}

// the phases a bastion runs before openshift-install is needed
const opsPhases = "preflight,dns,loadbalancer,registry"

// siteResolvConf is the bastion's resolver before okdctl: the site's DNS
// server (a CoreDNS on a lab address, answering outside.test).
const siteResolvConf = "# the site's resolver\nnameserver " + realhost.WorkerIP + "\noptions timeout:1 attempts:1\n"

func (o *opsBastion) prepare() {
	c := o.c
	o.prepareLab()
	c.WriteFile("/etc/resolv.conf", []byte(siteResolvConf), 0o644)
	// firewalld comes later (the firewalld step): the bastion's owner starts it after okdctl ran
	c.MustRun("systemctl", "disable", "--now", "firewalld.service")
	c.WriteFile("/root/hold.pl", []byte("use IO::Socket::INET;\nmy $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], Listen => 5) or die \"cannot bind $ARGV[0]: $!\";\nsleep 3600;\n"), 0o644)
	o.waitFor("outside.test resolving through the site DNS", func() bool { return o.resolves("outside.test", "192.168.120.200") })
}

// prepareLab copies okdctl in, writes the lab spec (no mirror, no
// upstream DNS) and starts the site's DNS server on the worker's address
// (a CoreDNS answering outside.test).
func (o *opsBastion) prepareLab() {
	t, c := o.t, o.c
	c.CopyIn(buildOkdctl(t), "/usr/local/bin/okdctl", 0o755)
	lab, err := examples.FS.ReadFile("lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := strings.Replace(string(lab), "mirror: true ", "mirror: false", 1)
	spec = regexp.MustCompile(`upstreamDNS: \[[^]]*\]`).ReplaceAllString(spec, "upstreamDNS: []")
	c.WriteFile("/root/lab/cluster.yaml", []byte(spec), 0o644)
	key, err := examples.FS.ReadFile("files/example_ed25519.pub")
	if err != nil {
		t.Fatal(err)
	}
	c.WriteFile("/root/lab/files/example_ed25519.pub", key, 0o644)
	c.WriteFile("/root/site.Corefile", []byte(".:53 {\n    bind "+realhost.WorkerIP+"\n    template IN A outside.test {\n        answer \"{{ .Name }} 60 IN A 192.168.120.200\"\n    }\n}\n"), 0o644)
	c.MustRun("systemd-run", "--unit=site-dns", "/usr/local/bin/okdctl", "serve", "coredns", "-conf", "/root/site.Corefile")
}

// okdctl runs okdctl in /root/lab and returns its output and exit status.
func (o *opsBastion) okdctl(args ...string) (string, int) {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := o.c.Command(ctx, "sh", append([]string{"-c", "cd /root/lab && okdctl \"$@\" </dev/null", "okdctl"}, args...)...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	case err != nil:
		o.t.Fatalf("okdctl %s: %v", strings.Join(args, " "), err)
	}
	return string(out), 0
}

func (o *opsBastion) mustOkdctl(args ...string) string {
	o.t.Helper()
	out, code := o.okdctl(args...)
	if code != 0 {
		o.t.Fatalf("okdctl %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func (o *opsBastion) resolves(name, ip string) bool {
	out, _ := o.c.Output(context.Background(), "getent", "ahostsv4", name)
	return strings.HasPrefix(out, ip+" ")
}

func (o *opsBastion) waitFor(what string, ok func() bool) {
	o.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			units, _ := o.c.Output(context.Background(), "systemctl", "--no-pager", "--failed")
			o.t.Fatalf("timed out waiting for %s; failed units:\n%s", what, units)
		}
	}
}

func (o *opsBastion) unitState(unit string) (active, enabled string) {
	active, _ = o.c.Output(context.Background(), "systemctl", "is-active", unit)
	enabled, _ = o.c.Output(context.Background(), "systemctl", "is-enabled", unit)
	return strings.TrimSpace(active), strings.TrimSpace(enabled)
}

// preflight: Debian's nginx, haproxy, etcd and docker-registry enabled and
// running; preflight accepts docker-registry, names each port's holder and
// the command that frees it, and stops nothing.
func (o *opsBastion) preflight(t *testing.T) {
	debian := []string{"nginx.service", "haproxy.service", "etcd.service", "docker-registry.service"}
	o.c.MustRun("systemctl", append([]string{"enable", "--now"}, debian...)...)
	out, code := o.okdctl("apply", "-f", "cluster.yaml", "--only", "preflight")
	t.Logf("preflight with Debian's services running:\n%s", out)
	if code != 1 || strings.Contains(out, "missing programs") {
		t.Fatalf("exit %d, want 1 for busy ports only:\n%s", code, out)
	}
	for _, want := range []string{
		`spec.bastion.ports.ingressHTTP: 192.168.120.101:80 is in use by nginx \(pid \d+, nginx.service\): stop it \(.systemctl disable --now nginx.service.; okdctl stops nothing itself\)`,
		`spec.bastion.ports.registry: 192.168.120.101:5000 is in use by docker-registry \(pid \d+, docker-registry.service\): stop it \(.systemctl disable --now docker-registry.service.`,
		`spec.bastion.ports.etcd: 127.0.0.1:2379 is in use by etcd \(pid \d+, etcd.service\): stop it \(.systemctl disable --now etcd.service.`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("preflight output lacks /%s/", want)
		}
	}
	for _, unit := range debian {
		if active, enabled := o.unitState(unit); active != "active" || enabled != "enabled" {
			t.Errorf("%s is %s/%s after preflight: it must stop nothing", unit, active, enabled)
		}
	}
	o.c.MustRun("systemctl", append([]string{"disable", "--now"}, debian...)...)
	o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", "preflight")
}

// resolver: after the dns phase the bastion answers api.okd.example with
// its own address through its resolver, and the site's names still
// resolve; plan showed the change before.
func (o *opsBastion) resolver(t *testing.T) {
	if o.resolves("api.okd.example", realhost.BastionIP) {
		t.Fatal("api.okd.example resolves before the dns phase")
	}
	// the dns phase alone: this bastion has no openshift-install, so a plan
	// of every phase exits 1 for the manifests and ignition phases
	plan := o.mustOkdctl("plan", "-f", "cluster.yaml", "--only", "dns", "--diff")
	if !strings.Contains(plan, "+# okdctl okd.example: okdctl's DNS for the cluster") || !strings.Contains(plan, "+nameserver "+realhost.BastionIP) {
		t.Errorf("plan does not show the resolv.conf change:\n%s", plan)
	}
	out := o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", "dns")
	if !strings.Contains(out, "the bastion resolves okd.example through okdctl's DNS at 192.168.120.101 (resolv.conf: /etc/resolv.conf)") {
		t.Errorf("apply did not say how the bastion resolves the cluster:\n%s", out)
	}
	for name, ip := range map[string]string{"api.okd.example": realhost.BastionIP, "api-int.okd.example": realhost.BastionIP,
		"master.okd.example": realhost.MasterIP, "console-openshift-console.apps.okd.example": realhost.BastionIP, "outside.test": "192.168.120.200"} {
		if !o.resolves(name, ip) {
			out, _ := o.c.Output(context.Background(), "getent", "ahostsv4", name)
			t.Errorf("getent %s: %q, want %s", name, out, ip)
		}
	}
	if out := o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", "dns"); !strings.Contains(out, "dns           unchanged") {
		t.Errorf("a second apply changed the dns phase:\n%s", out)
	}
}

// exposure: every okdctl unit scores at most 3.0 (systemd-analyze
// security on the running bastion), Debian's own units far more.
func (o *opsBastion) exposure(t *testing.T) {
	o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", opsPhases)
	score := func(unit string) float64 {
		out, _ := o.c.Output(context.Background(), "systemd-analyze", "security", "--no-pager", unit)
		m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("systemd-analyze security %s:\n%s", unit, out)
		}
		f, _ := strconv.ParseFloat(m[1], 64)
		return f
	}
	for _, unit := range []string{"okdctl-etcd.service", "okdctl-coredns.service", "okdctl-haproxy.service", "okdctl-registry.service"} {
		s := score(unit)
		t.Logf("%s: exposure %.1f", unit, s)
		if s > testenv.MaxExposure {
			t.Errorf("%s: exposure %.1f, want at most %.1f", unit, s, testenv.MaxExposure)
		}
		user, _ := o.c.Output(context.Background(), "systemctl", "show", "-p", "User", "--value", unit)
		if u := strings.TrimSpace(user); u == "" || u == "root" {
			t.Errorf("%s runs as %q, want its own user", unit, u)
		}
	}
	for _, unit := range []string{"haproxy.service", "nginx.service", "docker-registry.service", "systemd-networkd.service", "systemd-logind.service"} {
		t.Logf("%s (for comparison): exposure %.1f", unit, score(unit))
	}
}

// okdctlPorts are the ports the ops phases' services take on the lab
// network (the lab spec: DNS, HAProxy, nginx's port, the registry).
var okdctlPorts = []string{"22623/tcp", "443/tcp", "5000/tcp", "53/tcp", "53/udp", "6443/tcp", "80/tcp", "8080/tcp", "9000/tcp"}

// labZone is the firewalld zone the firewalld step binds the lab link to
// (not the default zone, as on a bastion whose lab NIC is "internal").
const labZone = "internal"

// firewalldPorts lists the lab zone's open ports (runtime, or --permanent).
func (o *opsBastion) firewalldPorts(args ...string) []string {
	return o.zonePorts(labZone, args...)
}

// zonePorts lists a firewalld zone's open ports ("" is the default zone).
func (o *opsBastion) zonePorts(zone string, args ...string) []string {
	if zone != "" {
		args = append([]string{"--zone=" + zone}, args...)
	}
	out := o.c.MustRun("firewall-cmd", append(args, "--list-ports")...)
	ports := strings.Fields(out)
	slices.Sort(ports)
	return ports
}

// fromClient connects from a machine on the lab network (a network
// namespace of its own holding the lab link's other end) to the bastion.
func (o *opsBastion) fromClient(port string) error {
	_, err := o.c.Output(context.Background(), "ip", "netns", "exec", "client", "timeout", "3", "bash", "-c",
		"exec 3<>/dev/tcp/"+realhost.BastionIP+"/"+port)
	return err
}

// firewalld: started after okdctl ran, with the lab link in zone
// "internal" (not the default zone), firewalld allows none of okdctl's
// ports (a client on the lab network is refused); the next apply's
// preflight notices and opens them in that zone at runtime and
// permanently (the default zone untouched), and the client connects; a
// further apply leaves firewalld alone.
func (o *opsBastion) firewalld(t *testing.T) {
	c := o.c
	c.MustRun("ip", "netns", "add", "client")
	c.MustRun("ip", "link", "set", realhost.LinkPeer, "netns", "client")
	c.MustRun("ip", "-n", "client", "addr", "add", "192.168.120.150/24", "dev", realhost.LinkPeer)
	c.MustRun("ip", "-n", "client", "link", "set", realhost.LinkPeer, "up")
	o.waitFor("the lab client reaching the registry", func() bool { return o.fromClient("5000") == nil })
	c.MustRun("systemctl", "enable", "--now", "firewalld.service")
	o.waitFor("firewalld running", func() bool {
		out, _ := c.Output(context.Background(), "firewall-cmd", "--state")
		return strings.TrimSpace(out) == "running"
	})
	c.MustRun("firewall-cmd", "--zone="+labZone, "--change-interface="+realhost.Link)
	c.MustRun("firewall-cmd", "--permanent", "--zone="+labZone, "--change-interface="+realhost.Link)
	if err := o.fromClient("5000"); err == nil {
		t.Fatal("firewalld lets the lab client reach the registry before okdctl opened its port")
	}
	if open := o.firewalldPorts(); slices.Contains(open, "5000/tcp") {
		t.Fatalf("firewalld allows %v before the apply", open)
	}
	if st, detail := o.verifyFirewalld(); st != "FAIL" || !strings.Contains(detail, "closed in zone "+labZone+": "+strings.Join(okdctlPorts, " ")) {
		t.Errorf("okdctl verify before the apply: firewalld check %s (%s), want FAIL naming every port", st, detail)
	}
	out := o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", opsPhases)
	if !strings.Contains(out, "firewalld: opened "+strings.Join(okdctlPorts, " ")+" in zone "+labZone) {
		t.Errorf("apply did not open okdctl's ports in firewalld's zone %s:\n%s", labZone, out)
	}
	if public := o.zonePorts(""); slices.ContainsFunc(okdctlPorts, func(p string) bool { return slices.Contains(public, p) }) {
		t.Errorf("apply opened ports in the default zone too: %v", public)
	}
	for _, args := range [][]string{nil, {"--permanent"}} {
		if got := o.firewalldPorts(args...); !slices.Equal(got, okdctlPorts) {
			t.Errorf("firewall-cmd %v --list-ports: %v, want %v", args, got, okdctlPorts)
		}
	}
	for _, port := range []string{"5000", "6443", "53"} {
		if err := o.fromClient(port); err != nil {
			t.Errorf("the lab client cannot reach the bastion's port %s through firewalld: %v", port, err)
		}
	}
	if st, detail := o.verifyFirewalld(); st != "pass" {
		t.Errorf("okdctl verify after the apply: firewalld check %s (%s)", st, detail)
	}
	start := time.Now()
	again := o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", opsPhases)
	t.Logf("no-op apply of %s with firewalld running took %s", opsPhases, time.Since(start).Round(time.Millisecond))
	if strings.Contains(again, "firewalld: opened") || !strings.Contains(again, "preflight     unchanged") {
		t.Errorf("a second apply touched firewalld:\n%s", again)
	}
}

// verifyFirewalld is okdctl verify's firewalld check: status and detail.
func (o *opsBastion) verifyFirewalld() (string, string) {
	o.t.Helper()
	out, _ := o.okdctl("verify", "-f", "cluster.yaml", "-o", "json")
	var rep struct {
		Results []struct{ Check, Status, Detail string }
	}
	// the report, then (exit 1) the ERROR line
	if err := json.NewDecoder(strings.NewReader(out[max(strings.Index(out, "{"), 0):])).Decode(&rep); err != nil {
		o.t.Fatalf("okdctl verify -o json: %v\n%s", err, out)
	}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Check, "firewalld allows") {
			return r.Status, r.Detail
		}
	}
	o.t.Fatalf("okdctl verify has no firewalld check:\n%s", out)
	return "", ""
}

// fault: the load balancer's stats port held by a foreign program: the
// error names okdctl-haproxy.service with its journal; once the port is
// free the next apply converges.
func (o *opsBastion) fault(t *testing.T) {
	o.mustOkdctl("down", "-f", "cluster.yaml")
	o.c.MustRun("systemd-run", "--unit=foreign-stats", "perl", "/root/hold.pl", realhost.BastionIP+":9000")
	o.waitFor("the foreign program on :9000", func() bool {
		out, _ := o.c.Output(context.Background(), "ss", "-Hltn")
		return strings.Contains(out, realhost.BastionIP+":9000 ")
	})
	out, code := o.okdctl("apply", "-f", "cluster.yaml", "--only", "dns,loadbalancer")
	t.Logf("with :9000 taken: %s", firstErrorLine(out))
	if code != 1 || !strings.Contains(out, "okdctl-haproxy.service failed to start") || !strings.Contains(out, "cannot bind socket") {
		t.Errorf("exit %d, want okdctl-haproxy.service named with its journal:\n%s", code, out)
	}
	o.c.MustRun("systemctl", "stop", "foreign-stats.service")
	o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", opsPhases)
	if active, _ := o.unitState("okdctl-haproxy.service"); active != "active" {
		t.Errorf("okdctl-haproxy.service %s after the port was freed", active)
	}
}

// down: units stopped and disabled, the CA out of the trust store, the
// resolver as it was; state kept; a second down changes nothing; apply
// converges again; --purge asks (no terminal: refused), then deletes.
func (o *opsBastion) down(t *testing.T) {
	c := o.c
	o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", opsPhases)
	anchors := func() string {
		out, _ := c.Output(context.Background(), "sh", "-c", "ls /usr/local/share/ca-certificates /etc/ssl/certs | grep okdctl; grep -c 'BEGIN CERT' /etc/ssl/certs/ca-certificates.crt")
		return out
	}
	withCA := anchors()
	out := o.mustOkdctl("down", "-f", "cluster.yaml")
	t.Logf("down:\n%s", out)
	units := []string{"okdctl-etcd.service", "okdctl-coredns.service", "okdctl-haproxy.service", "okdctl-registry.service"}
	for _, unit := range units {
		if active, enabled := o.unitState(unit); active == "active" || enabled == "enabled" {
			t.Errorf("%s is %s/%s after down", unit, active, enabled)
		}
	}
	if got := anchors(); strings.Contains(got, "okdctl") || got == withCA {
		t.Errorf("okdctl's CA still trusted after down:\n%s (before: %s)", got, withCA)
	}
	for _, args := range [][]string{nil, {"--permanent"}} {
		if got := o.firewalldPorts(args...); len(got) != 0 {
			t.Errorf("firewall-cmd %v --list-ports after down: %v, want none of okdctl's", args, got)
		}
	}
	if got, _ := c.Output(context.Background(), "cat", "/etc/resolv.conf"); got != siteResolvConf {
		t.Errorf("resolv.conf after down:\n%s\nwant\n%s", got, siteResolvConf)
	}
	if !o.resolves("outside.test", "192.168.120.200") || o.resolves("api.okd.example", realhost.BastionIP) {
		t.Error("the resolver is not as it was before okdctl")
	}
	for _, kept := range []string{"/var/lib/okdctl/okd/pki/ca.crt", "/var/lib/okdctl/okd/pki/ca.key", "/var/lib/okdctl/okd/registry/password", "/var/lib/okdctl/okd/state.json"} {
		if _, err := c.Output(context.Background(), "test", "-f", kept); err != nil {
			t.Errorf("down removed %s", kept)
		}
	}
	again := o.mustOkdctl("down", "-f", "cluster.yaml")
	if lines := strings.Split(strings.TrimSpace(again), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "kept ") {
		t.Errorf("a second down did something:\n%s", again)
	}
	out = o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", opsPhases)
	if !o.resolves("api.okd.example", realhost.BastionIP) || anchors() != withCA || !slices.Equal(o.firewalldPorts(), okdctlPorts) {
		t.Errorf("apply after down did not converge:\n%s", out)
	}
	if out, code := o.okdctl("down", "-f", "cluster.yaml", "--purge"); code != 1 || !strings.Contains(out, "pass --yes") {
		t.Errorf("down --purge without a terminal: exit %d\n%s", code, out)
	}
	if _, err := c.Output(context.Background(), "test", "-f", "/var/lib/okdctl/okd/pki/ca.key"); err != nil {
		t.Error("a refused --purge deleted the CA")
	}
	o.mustOkdctl("down", "-f", "cluster.yaml", "--purge", "--yes")
	if _, err := c.Output(context.Background(), "test", "-e", "/var/lib/okdctl/okd"); err == nil {
		t.Error("down --purge --yes kept the state directory")
	}
}
