package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/realhost"
)

// TestRealBastionResolved: a bastion whose resolver is systemd-resolved
// (Debian's systemd-resolved package; resolv.conf is its stub) resolves its
// cluster through okdctl's DNS after the dns phase, keeps resolving the
// site's names through the site's DNS server, and okdctl down leaves
// systemd-resolved as it was. Twice on one bastion: the lab link without
// DNS servers of its own, the site's server configured globally (okdctl
// adds a networkd drop-in for the link), then the site's server on the
// link itself (okdctl adds a global routing domain in resolved.conf.d).
func TestRealBastionResolved(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a Debian bastion; make test runs it")
	}
	c := realhost.Boot(t, realhost.Options{Flavour: realhost.Resolved})
	o := &opsBastion{t: t, c: c}
	o.prepareResolved()
	for _, step := range []struct {
		name, site, siteFile, want, file string
	}{
		{"site DNS global, okdctl's on the link", "[Resolve]\nDNS=" + realhost.WorkerIP + "\n", "/etc/systemd/resolved.conf.d/site.conf",
			"systemd-resolved (systemd-networkd link)", "/etc/systemd/network/10-lab.network.d/okdctl-okd.conf"},
		{"site DNS on the link, okdctl's global", "[Network]\nDNS=" + realhost.WorkerIP + "\n", "/etc/systemd/network/10-lab.network.d/site.conf",
			"systemd-resolved (global routing domain)", "/etc/systemd/resolved.conf.d/okdctl-okd.conf"},
	} {
		t.Run(step.name, func(t *testing.T) {
			o.t = t
			o.siteResolver(step.siteFile, step.site)
			o.resolvedRoundTrip(step.want, step.file)
			c.MustRun("rm", step.siteFile)
		})
	}
}

// prepareResolved: okdctl, the lab spec and the site's DNS server on a
// bastion whose resolv.conf is systemd-resolved's stub (Debian's
// systemd-resolved package leaves it a file when installed in a chroot),
// with Debian's nginx and haproxy stopped as preflight asks.
func (o *opsBastion) prepareResolved() {
	c := o.c
	o.prepareLab()
	c.MustRun("systemctl", "disable", "--now", "nginx.service", "haproxy.service")
	c.MustRun("ln", "-sf", "../run/systemd/resolve/stub-resolv.conf", "/etc/resolv.conf")
	c.MustRun("systemctl", "enable", "--now", "systemd-resolved.service")
}

// siteResolver configures the site's DNS server (globally or on the lab
// link) and waits until the site's names resolve through it.
func (o *opsBastion) siteResolver(file, conf string) {
	c := o.c
	c.WriteFile(file, []byte(conf), 0o644)
	c.MustRun("networkctl", "reload")
	c.MustRun("networkctl", "reconfigure", realhost.Link)
	c.MustRun("systemctl", "restart", "systemd-resolved.service")
	o.waitFor("outside.test resolving through the site DNS", func() bool { return o.resolves("outside.test", "192.168.120.200") })
}

// resolverState is what systemd-resolved uses, globally and per link.
func (o *opsBastion) resolverState() string {
	out, err := o.c.Output(context.Background(), "resolvectl", "status", "--no-pager")
	if err != nil {
		o.t.Fatalf("resolvectl status: %v\n%s", err, out)
	}
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		// the server systemd-resolved last used is not configuration
		if !strings.Contains(line, "Current DNS Server") {
			keep = append(keep, strings.TrimSpace(line))
		}
	}
	return strings.Join(keep, "\n")
}

// settledResolverState is the resolver state once ok accepts it, or the
// last one seen after 20 s: systemd-resolved and networkd apply a reload
// or reconfigure asynchronously, so right after okdctl returns the links
// may still be reconfiguring (seen in CI on a loaded machine).
func (o *opsBastion) settledResolverState(ok func(string) bool) string {
	state := o.resolverState()
	for deadline := time.Now().Add(20 * time.Second); !ok(state) && time.Now().Before(deadline); {
		time.Sleep(250 * time.Millisecond)
		state = o.resolverState()
	}
	return state
}

// resolvedRoundTrip: plan shows the change, the dns phase makes it the
// way systemd-resolved is managed here, the cluster and the site's names
// resolve, and down restores systemd-resolved exactly.
func (o *opsBastion) resolvedRoundTrip(method, file string) {
	t, c := o.t, o.c
	before := o.resolverState()
	if o.resolves("api.okd.example", realhost.BastionIP) {
		t.Fatal("api.okd.example resolves before the dns phase")
	}
	// after the first step's down the state says dns is stopped: the plan runs it again
	if plan := o.mustOkdctl("plan", "-f", "cluster.yaml", "--only", "preflight,dns"); !strings.Contains(plan, file) || !strings.Contains(plan, method) {
		t.Errorf("plan does not show %s (%s):\n%s", file, method, plan)
	}
	out := o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", "preflight,dns")
	if want := "the bastion resolves okd.example through okdctl's DNS at " + realhost.BastionIP + " (" + method + ": " + file + ")"; !strings.Contains(out, want) {
		t.Errorf("apply did not say %q:\n%s", want, out)
	}
	status := o.settledResolverState(func(s string) bool {
		return strings.Contains(s, "~okd.example") && strings.Contains(s, realhost.BastionIP)
	})
	t.Logf("resolvectl status with okdctl's DNS:\n%s", status)
	if !strings.Contains(status, "~okd.example") || !strings.Contains(status, realhost.BastionIP) {
		t.Errorf("systemd-resolved does not send okd.example to %s:\n%s", realhost.BastionIP, status)
	}
	for name, ip := range map[string]string{"api.okd.example": realhost.BastionIP, "api-int.okd.example": realhost.BastionIP,
		"console-openshift-console.apps.okd.example": realhost.BastionIP, "master.okd.example": realhost.MasterIP, "outside.test": "192.168.120.200"} {
		if !o.resolves(name, ip) {
			out, _ := c.Output(context.Background(), "resolvectl", "query", name)
			t.Errorf("%s does not resolve to %s on the bastion: %s", name, ip, out)
		}
	}
	if again := o.mustOkdctl("apply", "-f", "cluster.yaml", "--only", "preflight,dns"); strings.Contains(again, "the bastion resolves") {
		t.Errorf("a second apply changed the resolver again:\n%s", again)
	}
	o.mustOkdctl("down", "-f", "cluster.yaml")
	if _, err := c.Output(context.Background(), "test", "-e", file); err == nil {
		t.Errorf("%s is still there after down", file)
	}
	o.waitFor("api.okd.example to stop resolving after down", func() bool { return !o.resolves("api.okd.example", realhost.BastionIP) })
	if after := o.settledResolverState(func(s string) bool { return s == before }); after != before {
		t.Errorf("systemd-resolved after down:\n%s\nbefore okdctl:\n%s", after, before)
	}
	if !o.resolves("outside.test", "192.168.120.200") {
		t.Error("the site's names no longer resolve after down")
	}
}
