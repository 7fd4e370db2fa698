package realhost

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBoot boots the bastion: systemd is PID 1 and reports the system up,
// the lab addresses are inside the container's network namespace and not
// on the host, and commands run inside; the teardown check of Boot runs at
// the end (no process, no mount left).
func TestBoot(t *testing.T) {
	c := Boot(t, Options{})
	t.Logf("unpack %s, boot %s", c.Unpack.Round(time.Millisecond), c.BootTimes[0].Round(time.Millisecond))
	if comm := c.MustRun("cat", "/proc/1/comm"); strings.TrimSpace(comm) != "systemd" {
		t.Errorf("PID 1 inside is %q, want systemd", comm)
	}
	if state := strings.TrimSpace(c.MustRun("systemctl", "is-system-running")); state != "running" && state != "degraded" {
		t.Errorf("systemctl is-system-running: %s", state)
	}
	addrs := c.MustRun("ip", "-o", "-4", "addr", "show", "dev", Link)
	for _, a := range LabAddresses {
		if !strings.Contains(addrs, " "+a+" ") {
			t.Errorf("%s is not on %s inside:\n%s", a, Link, addrs)
		}
	}
	host, _ := net.InterfaceAddrs()
	for _, a := range host {
		if strings.HasPrefix(a.String(), "192.168.120.") {
			t.Errorf("the host has the lab address %s", a)
		}
	}
	if hn := strings.TrimSpace(c.MustRun("hostname")); hn != "bastion" {
		t.Errorf("hostname %q, want bastion", hn)
	}
	c.RunInNetns(t, "TestHelperLabNetwork", time.Minute)
}

// TestHelperLabNetwork is run by TestBoot inside the container's network:
// Debian's own nginx, started by systemd, answers on the bastion address.
func TestHelperLabNetwork(t *testing.T) {
	c := MustAttach(t, "TestBoot")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		resp, err := http.Get("http://" + BastionIP + "/")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), "nginx") {
				t.Fatalf("%s answered %s without nginx's page", BastionIP, resp.Status)
			}
			break
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Fatalf("nginx on %s: %v", BastionIP, last)
	}
	if out := c.MustRun("systemctl", "is-active", "nginx.service"); strings.TrimSpace(out) != "active" {
		t.Errorf("nginx.service is %s", out)
	}
}

// TestReboot reboots the bastion with systemctl reboot: it comes back with
// a new PID 1 and its addresses.
func TestReboot(t *testing.T) {
	c := Boot(t, Options{})
	first := c.PID()
	c.MustRun("touch", "/var/lib/kept")
	start := time.Now()
	c.Reboot()
	t.Logf("reboot took %s", time.Since(start).Round(time.Millisecond))
	if c.PID() == first {
		t.Fatalf("PID 1 is still %d after the reboot", first)
	}
	c.MustRun("test", "-e", "/var/lib/kept")
	if addrs := c.MustRun("ip", "-o", "-4", "addr", "show", "dev", Link); !strings.Contains(addrs, BastionIP+"/24") {
		t.Errorf("%s is not back on %s after the reboot:\n%s", BastionIP, Link, addrs)
	}
}

// BenchmarkBoot is the warm start of a real bastion: unpack the cached
// root file system and boot it until systemd reports it up.
func BenchmarkBoot(b *testing.B) {
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c := Boot(b, Options{})
		b.ReportMetric(c.Unpack.Seconds(), "unpack-s")
		b.ReportMetric(c.BootTimes[0].Seconds(), "boot-s")
		b.ReportMetric(time.Since(start).Seconds(), "total-s")
	}
}

// TestFlavours: the bare bastion has none of the programs okdctl serves
// itself (etcd, CoreDNS, a registry) nor firewalld; the debian-services
// one boots with Debian's etcd, docker-registry and firewalld running, as
// their packages leave them.
func TestFlavours(t *testing.T) {
	bare := Boot(t, Options{})
	for _, p := range []string{"/usr/bin/etcd", "/usr/bin/docker-registry", "/usr/bin/coredns", "/usr/sbin/firewalld", "/usr/bin/registry"} {
		if _, err := bare.Output(context.Background(), "test", "-e", p); err == nil {
			t.Errorf("the bare bastion has %s", p)
		}
	}
	for _, pkg := range Packages {
		if out, err := bare.Output(context.Background(), "dpkg-query", "-W", "-f=${Status}", pkg); err != nil || out != "install ok installed" {
			t.Errorf("the bare bastion lacks %s: %s", pkg, out)
		}
	}
	services := Boot(t, Options{Flavour: DebianServices})
	for _, unit := range []string{"etcd.service", "docker-registry.service", "firewalld.service", "nginx.service", "haproxy.service"} {
		if out, _ := services.Output(context.Background(), "systemctl", "is-active", unit); strings.TrimSpace(out) != "active" {
			t.Errorf("%s is %q in the debian-services bastion", unit, strings.TrimSpace(out))
		}
	}
	t.Logf("boot: bare %s, debian-services %s", bare.BootTimes[0].Round(time.Millisecond), services.BootTimes[0].Round(time.Millisecond))
}
