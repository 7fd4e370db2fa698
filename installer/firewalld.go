package installer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/resolver"
	"github.com/okdctl/okdctl/spec"
)

// firewalldPorts are the ports okdctl's own bastion services take on the
// machine network, as firewalld names them ("53/udp"): DNS unless a site's
// server answers for the cluster, the load balancer's unless a site's
// balances, the web server's, the registry's when okdctl runs one, and
// DHCP and TFTP when it serves PXE.
// etcd listens on 127.0.0.1 only and needs none.
func firewalldPorts(rc *RunContext) []string {
	s := rc.Spec()
	p := s.Bastion.Ports
	var out []string
	add := func(proto string, ports ...int) {
		for _, n := range ports {
			out = append(out, strconv.Itoa(n)+"/"+proto)
		}
	}
	if s.DNS.External == nil && !s.DNS.Manual {
		add("udp", p.DNS)
		add("tcp", p.DNS)
	}
	if s.LoadBalancer.External == nil {
		add("tcp", p.API, p.MachineConfig, p.IngressHTTP, p.IngressHTTPS, p.Stats)
	}
	add("tcp", p.Ignition)
	if s.RegistryEnabled() {
		add("tcp", p.Registry)
	}
	if s.PXE.Enabled() {
		add("udp", 67, 69) // DHCP (or proxy DHCP) and TFTP
		if s.PXE.Mode == spec.PXEModeProxy {
			add("udp", 4011) // the PXE service a proxy DHCP points clients to
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// firewalld is the bastion's firewalld as okdctl sees it: the zone its
// machine-network link is in ("" is the default zone). Queries go over
// D-Bus (bastion.FirewalldCall) and never start firewalld.
type firewalld struct {
	h    hostRunner
	zone string
}

// bastionFirewalld finds the zone of the link holding the bastion's
// address: the zone bound to that interface (by firewall-cmd
// --zone=Z --change-interface, or by NetworkManager's connection.zone),
// else the default zone.
func bastionFirewalld(ctx context.Context, rc *RunContext) firewalld {
	h := hostRunner{ctx: ctx, run: rc.Host().Runner}
	return firewalld{h: h, zone: h.zoneOfInterface(resolver.LinkOf(rc.Spec().Bastion.IP))}
}

func (h hostRunner) zoneOfInterface(link string) string {
	if link == "" {
		return ""
	}
	out, err := h.run.Run(h.ctx, bastion.Cmd{Name: "busctl", Args: bastion.FirewalldCall("getZoneOfInterface", link), ReadOnly: true})
	if err != nil {
		return ""
	}
	zone, _ := bastion.ParseFirewalldZone(out)
	return zone
}

// zoneName names the zone for messages.
func (f firewalld) zoneName() string {
	if f.zone == "" {
		return "the default zone"
	}
	return "zone " + f.zone
}

// inZone ends a message about ports: "" for the default zone, else " in zone Z".
func (f firewalld) inZone() string {
	if f.zone == "" {
		return ""
	}
	return " in zone " + f.zone
}

// cmd is a firewall-cmd argument list acting on the zone.
func (f firewalld) cmd(args ...string) []string {
	if f.zone == "" {
		return args
	}
	return append([]string{"--zone=" + f.zone}, args...)
}

// open reports whether firewalld runs and the zone's runtime ports ("53/udp");
// running is false when firewalld does not run or is not installed.
func (f firewalld) open() (running bool, open []string) {
	out, err := f.h.run.Run(f.h.ctx, bastion.Cmd{Name: "busctl", Args: bastion.FirewalldCall("getPorts", f.zone), ReadOnly: true})
	if err != nil {
		return false, nil
	}
	open, err = bastion.ParseFirewalldPorts(out)
	return err == nil, open
}

// closed is which of want a running firewalld does not allow in the zone.
func (f firewalld) closed(want []string) (running bool, closed []string) {
	running, open := f.open()
	if !running {
		return false, nil
	}
	for _, p := range want {
		if !slices.Contains(open, p) {
			closed = append(closed, p)
		}
	}
	return true, closed
}

// openPorts opens in the zone the ports closed (what closed found), at
// runtime and permanently (no reload, which would drop the site's
// runtime-only rules); the ones okdctl added to the permanent
// configuration are recorded, with the zone, for `okdctl down`.
func (f firewalld) openPorts(rc *RunContext, closed []string) error {
	if len(closed) == 0 {
		return nil
	}
	permanent := strings.Fields(f.h.query("firewall-cmd", f.cmd("--permanent", "--list-ports")...))
	var runtime, perm []string
	for _, p := range closed {
		runtime = append(runtime, "--add-port="+p)
		if !slices.Contains(permanent, p) {
			perm = append(perm, "--add-port="+p)
		}
	}
	if len(perm) > 0 {
		if err := f.h.do("firewall-cmd", f.cmd(append([]string{"--permanent"}, perm...)...)...); err != nil {
			return fmt.Errorf("failed to open %s in firewalld's %s: %w", strings.Join(closed, " "), f.zoneName(), err)
		}
		if err := recordHostChange(rc, func(c *hostChanges) {
			for _, p := range perm {
				c.addFirewalld(f.zone, strings.TrimPrefix(p, "--add-port="))
			}
		}); err != nil {
			return err
		}
	}
	if err := f.h.do("firewall-cmd", f.cmd(runtime...)...); err != nil {
		return fmt.Errorf("failed to open %s in firewalld's %s: %w", strings.Join(closed, " "), f.zoneName(), err)
	}
	rc.Log().Infof("firewalld: opened %s%s", strings.Join(closed, " "), f.inZone())
	return nil
}

// firewalldDone is preflight's observation: a running firewalld allows
// every port of firewalldPorts in the bastion link's zone. A firewalld
// started after okdctl ran (or a port someone closed) makes preflight run
// again, which opens them.
func firewalldDone(ctx context.Context, rc *RunContext) bool {
	f := bastionFirewalld(ctx, rc)
	running, closed := f.closed(firewalldPorts(rc))
	if running && len(closed) > 0 {
		rc.Log().Infof("firewalld's %s does not allow %s (started after okdctl opened its ports, or they were closed): preflight opens them", f.zoneName(), strings.Join(closed, " "))
		return false
	}
	return true
}

// preflightFirewalld opens every port of firewalldPorts in a running
// firewalld's zone of the bastion's link (never starts, stops or
// disables it).
func preflightFirewalld(ctx context.Context, rc *RunContext) error {
	f := bastionFirewalld(ctx, rc)
	want := firewalldPorts(rc)
	running, closed := f.closed(want)
	switch {
	case !running:
		return nil
	case len(closed) == 0:
		rc.Log().Infof("firewalld is running and its %s allows okdctl's ports (%s); okdctl leaves it running", f.zoneName(), strings.Join(want, " "))
		return nil
	}
	return f.openPorts(rc, closed)
}
