package installer

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
)

// TestPreflightFirewalld: a firewalld that allows only some of okdctl's
// ports (started after okdctl ran) makes preflight's Done false; its Run
// opens the rest at runtime and permanently (no reload), recording only
// what it added to the permanent configuration; with everything open, or
// no firewalld, preflight runs no firewall-cmd that changes anything.
func TestPreflightFirewalld(t *testing.T) {
	t.Parallel()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	all := "22623/tcp 443/tcp 5000/tcp 53/tcp 53/udp 6443/tcp 80/tcp 8080/tcp 9000/tcp"
	if got := strings.Join(firewalldPorts(&RunContext{cluster: c}), " "); got != all {
		t.Fatalf("firewalldPorts: %s, want %s", got, all)
	}
	pxe := *c
	pxe.Spec.PXE.Mode = spec.PXEModeProxy
	if got := strings.Join(firewalldPorts(&RunContext{cluster: &pxe}), " "); got != "22623/tcp 4011/udp 443/tcp 5000/tcp 53/tcp 53/udp 6443/tcp 67/udp 69/udp 80/tcp 8080/tcp 9000/tcp" {
		t.Errorf("firewalldPorts with proxy PXE: %s", got)
	}
	h := bastion.NewHost(bastion.HostOptions{Root: t.TempDir()})
	run := &mutationsOK{answers: map[string]string{
		busctlKey: busctlPorts("22/tcp 53/udp"), "firewall-cmd --permanent --list-ports": "22/tcp 53/udp 80/tcp"}}
	h.Runner = run
	rc := &RunContext{cluster: c, host: h, log: NewLogger(LoggerOptions{})}
	ctx := context.Background()
	if firewalldDone(ctx, rc) {
		t.Error("preflight is done although firewalld blocks most of okdctl's ports")
	}
	if err := preflightFirewalld(ctx, rc); err != nil {
		t.Fatal(err)
	}
	wantLines(t, run.changed, []string{
		"firewall-cmd --permanent --add-port=22623/tcp --add-port=443/tcp --add-port=5000/tcp --add-port=53/tcp --add-port=6443/tcp --add-port=8080/tcp --add-port=9000/tcp",
		"firewall-cmd --add-port=22623/tcp --add-port=443/tcp --add-port=5000/tcp --add-port=53/tcp --add-port=6443/tcp --add-port=80/tcp --add-port=8080/tcp --add-port=9000/tcp",
	})
	recorded, err := readHostChanges(rc)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(portsIn(recorded.Firewalld), " "); len(recorded.Firewalld) != 1 || recorded.Firewalld[0].Zone != "" || got != "22623/tcp 443/tcp 5000/tcp 53/tcp 6443/tcp 8080/tcp 9000/tcp" {
		t.Errorf("recorded %s: want only the ports okdctl added to the permanent configuration", got)
	}

	run.changed = nil
	run.answers[busctlKey] = busctlPorts("22/tcp " + all)
	if !firewalldDone(ctx, rc) {
		t.Error("preflight is not done although firewalld allows every port")
	}
	if err := preflightFirewalld(ctx, rc); err != nil || len(run.changed) != 0 {
		t.Errorf("with every port open: %v, ran %q", err, run.changed)
	}
	delete(run.answers, busctlKey) // firewalld not running (or not installed)
	if !firewalldDone(ctx, rc) {
		t.Error("preflight is not done without firewalld")
	}
	if err := preflightFirewalld(ctx, rc); err != nil || len(run.changed) != 0 {
		t.Errorf("without firewalld: %v, ran %q", err, run.changed)
	}
}

// TestTeardownPurgeSELinuxBooleans: down --purge switches off the booleans
// okdctl switched on (recorded by setBoolean), and only those.
func TestTeardownPurgeSELinuxBooleans(t *testing.T) {
	t.Parallel()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := bastion.NewHost(bastion.HostOptions{Root: t.TempDir()})
	run := &mutationsOK{answers: map[string]string{"getenforce": "Enforcing", "getsebool haproxy_connect_any": "haproxy_connect_any --> off",
		"getsebool httpd_can_network_connect": "httpd_can_network_connect --> on"}}
	h.Runner = run
	rc := &RunContext{cluster: c, host: h, log: NewLogger(LoggerOptions{}), phase: "down"}
	ctx := context.Background()
	if err := ensureHostAccess(ctx, rc, hostAccess{What: "test", Booleans: []string{"haproxy_connect_any", "httpd_can_network_connect"}}); err != nil {
		t.Fatal(err)
	}
	wantLines(t, run.changed, []string{"setsebool -P haproxy_connect_any=1"})
	run.changed = nil
	if _, err := Teardown(ctx, rc, TeardownOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(run.changed) != 0 {
		t.Errorf("down without --purge ran %q", run.changed)
	}
	done, err := Teardown(ctx, rc, TeardownOptions{Purge: true})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, run.changed, []string{"setsebool -P haproxy_connect_any=0"})
	if !strings.Contains(strings.Join(done, "\n"), "SELinux: haproxy_connect_any=0 again (okdctl had switched it on)") {
		t.Errorf("down --purge said:\n%s", strings.Join(done, "\n"))
	}
}

// busctlKey is how the fake runners see okdctl's D-Bus question to firewalld.
var busctlKey = "busctl " + strings.Join(bastion.FirewalldCall("getPorts", ""), " ")

// busctlPorts is firewalld's answer (busctl --json=short) listing ports,
// "80/tcp 53/udp".
func busctlPorts(ports string) string {
	var pairs []string
	for _, p := range strings.Fields(ports) {
		n, proto, _ := strings.Cut(p, "/")
		pairs = append(pairs, `["`+n+`","`+proto+`"]`)
	}
	return `{"type":"aas","data":[[` + strings.Join(pairs, ",") + `]]}`
}

// zoneTest is the lab spec on a bastion whose commands answer from answers
// (firewall-cmd, and busctl's firewalld calls as ask writes them).
func zoneTest(t *testing.T, answers map[string]string) (*RunContext, hostRunner, *mutationsOK) {
	t.Helper()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := bastion.NewHost(bastion.HostOptions{Root: t.TempDir()})
	run := &mutationsOK{answers: answers}
	h.Runner = run
	rc := &RunContext{cluster: c, host: h, log: NewLogger(LoggerOptions{})}
	return rc, hostRunner{ctx: context.Background(), run: run}, run
}

// ask is the busctl command line of a firewalld call.
func ask(method string, args ...string) string {
	return "busctl " + strings.Join(bastion.FirewalldCall(method, args...), " ")
}

// TestFirewalldZone: the bastion's link bound to a zone other than the
// default one: okdctl opens its ports in that zone, records the zone, and
// down closes them there; a link bound to no zone is the default zone.
func TestFirewalldZone(t *testing.T) {
	t.Parallel()
	rc, hr, run := zoneTest(t, map[string]string{
		ask("getZoneOfInterface", "lab0"):                       `{"type":"s","data":["internal"]}`,
		ask("getZoneOfInterface", "other0"):                     `{"type":"s","data":[""]}`,
		ask("getPorts", "internal"):                             busctlPorts("22/tcp"),
		"firewall-cmd --zone=internal --permanent --list-ports": "22/tcp",
	})
	ctx := hr.ctx
	if zone := hr.zoneOfInterface("other0"); zone != "" {
		t.Errorf("a link bound to no zone: %q, want the default zone", zone)
	}
	f := firewalld{h: hr, zone: hr.zoneOfInterface("lab0")}
	if f.zone != "internal" {
		t.Fatalf("zone of lab0: %q, want internal", f.zone)
	}
	running, closed := f.closed([]string{"22/tcp", "6443/tcp"})
	if !running || strings.Join(closed, " ") != "6443/tcp" {
		t.Fatalf("closed in internal: %v %v", running, closed)
	}
	if err := f.openPorts(rc, closed); err != nil {
		t.Fatal(err)
	}
	wantLines(t, run.changed, []string{
		"firewall-cmd --zone=internal --permanent --add-port=6443/tcp", "firewall-cmd --zone=internal --add-port=6443/tcp"})
	if rec, err := readHostChanges(rc); err != nil || len(rec.Firewalld) != 1 || rec.Firewalld[0].Zone != "internal" || strings.Join(portsIn(rec.Firewalld), " ") != "6443/tcp" {
		t.Errorf("recorded %+v, %v: want 6443/tcp in zone internal", rec, err)
	}

	run.changed = nil
	run.answers[ask("getPorts", "internal")] = busctlPorts("22/tcp 6443/tcp")
	run.answers["firewall-cmd --zone=internal --permanent --list-ports"] = "22/tcp 6443/tcp"
	td := &teardown{rc: rc, h: hr}
	if err := td.firewalld(ctx); err != nil {
		t.Fatal(err)
	}
	wantLines(t, run.changed, []string{
		"firewall-cmd --zone=internal --permanent --remove-port=6443/tcp", "firewall-cmd --zone=internal --remove-port=6443/tcp"})
	if strings.Join(td.done, "\n") != "firewalld: closed 6443/tcp in zone internal" {
		t.Errorf("down said %q", td.done)
	}
	if rec, err := readHostChanges(rc); err != nil || len(rec.Firewalld) != 0 {
		t.Errorf("after down the record is %+v, %v", rec, err)
	}
}

// TestFirewalldTwoZones: the bastion's link moved to another zone between
// two runs (and a record written before zones were kept apart): down
// closes each port in the zone it was opened in.
func TestFirewalldTwoZones(t *testing.T) {
	t.Parallel()
	rc, hr, run := zoneTest(t, map[string]string{
		ask("getPorts", ""):                                     busctlPorts("22/tcp"),
		ask("getPorts", "internal"):                             busctlPorts("22/tcp"),
		"firewall-cmd --permanent --list-ports":                 "",
		"firewall-cmd --zone=internal --permanent --list-ports": "",
	})
	ctx := hr.ctx
	// the record of an okdctl before zones were kept apart: 6443 in the default zone
	if _, err := rc.Host().Files.WriteFile(rc.StatePath(FileHostAccess), []byte(`{"firewalldPorts":["6443/tcp"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (firewalld{h: hr, zone: "internal"}).openPorts(rc, []string{"6443/tcp", "22623/tcp"}); err != nil {
		t.Fatal(err)
	}
	rec, err := readHostChanges(rc)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(rec.Firewalld)
	if string(got) != `[{"ports":["6443/tcp"]},{"zone":"internal","ports":["22623/tcp","6443/tcp"]}]` {
		t.Fatalf("recorded %s: want 6443/tcp in the default zone and 22623/tcp 6443/tcp in internal", got)
	}

	// firewalld not running: nothing closed, every zone's ports named and kept
	delete(run.answers, ask("getPorts", ""))
	td := &teardown{rc: rc, h: hr}
	if err := td.firewalld(ctx); err != nil {
		t.Fatal(err)
	}
	if len(run.changed) != 2 || len(td.done) != 1 || !strings.Contains(td.done[0], "firewalld is not running: the ports okdctl opened (6443/tcp 22623/tcp 6443/tcp) stay") {
		t.Errorf("down without firewalld: commands %q (want only the 2 that opened the ports), said %q", run.changed, td.done)
	}
	if rec, err := readHostChanges(rc); err != nil || len(rec.Firewalld) != 2 {
		t.Errorf("down without firewalld changed the record: %+v, %v", rec, err)
	}

	run.changed = nil
	run.answers[ask("getPorts", "")] = busctlPorts("22/tcp 6443/tcp")
	run.answers["firewall-cmd --permanent --list-ports"] = "6443/tcp"
	run.answers[ask("getPorts", "internal")] = busctlPorts("22/tcp 6443/tcp 22623/tcp")
	run.answers["firewall-cmd --zone=internal --permanent --list-ports"] = "6443/tcp 22623/tcp"
	td = &teardown{rc: rc, h: hr}
	if err := td.firewalld(ctx); err != nil {
		t.Fatal(err)
	}
	wantLines(t, run.changed, []string{
		"firewall-cmd --permanent --remove-port=6443/tcp", "firewall-cmd --remove-port=6443/tcp",
		"firewall-cmd --zone=internal --permanent --remove-port=22623/tcp --remove-port=6443/tcp",
		"firewall-cmd --zone=internal --remove-port=22623/tcp --remove-port=6443/tcp"})
	if strings.Join(td.done, "\n") != "firewalld: closed 6443/tcp\nfirewalld: closed 22623/tcp 6443/tcp in zone internal" {
		t.Errorf("down said %q", td.done)
	}
	if rec, err := readHostChanges(rc); err != nil || len(rec.Firewalld) != 0 {
		t.Errorf("after down the record is %+v, %v", rec, err)
	}
}
