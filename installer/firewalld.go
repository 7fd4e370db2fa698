package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/okdctl/okdctl/bastion"
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

// firewalldQuery asks firewalld over D-Bus (busctl, systemd's own: a few
// milliseconds, where each firewall-cmd starts Python for seconds) for
// its default zone's runtime ports ("53/udp"). It never starts firewalld
// (--auto-start=no: Debian's package makes it D-Bus activatable); running
// is false when firewalld does not run or is not installed.
var firewalldQuery = []string{"--json=short", "--auto-start=no", "call", "org.fedoraproject.FirewallD1",
	"/org/fedoraproject/FirewallD1", "org.fedoraproject.FirewallD1.zone", "getPorts", "s", ""}

func (h hostRunner) firewalldOpen() (running bool, open []string) {
	out, err := h.run.Run(h.ctx, bastion.Cmd{Name: "busctl", Args: firewalldQuery, ReadOnly: true})
	if err != nil {
		return false, nil
	}
	var reply struct {
		Data [][][]string `json:"data"`
	}
	if err := json.Unmarshal(out, &reply); err != nil || len(reply.Data) != 1 {
		return false, nil
	}
	for _, p := range reply.Data[0] {
		if len(p) == 2 {
			open = append(open, p[0]+"/"+p[1])
		}
	}
	return true, open
}

// firewalldClosed is which of want a running firewalld does not allow.
func (h hostRunner) firewalldClosed(want []string) (running bool, closed []string) {
	running, open := h.firewalldOpen()
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

// openPorts opens in a running firewalld's default zone the ports of want
// it does not allow yet, at runtime and permanently (no reload, which
// would drop the site's runtime-only rules); the ones okdctl added to the
// permanent configuration are recorded for `okdctl down`. It returns what
// it opened.
func (h hostRunner) openPorts(rc *RunContext, want []string) ([]string, error) {
	_, closed := h.firewalldClosed(want)
	return closed, h.open(rc, closed)
}

// open opens closed (the ports firewalldClosed found) in firewalld.
func (h hostRunner) open(rc *RunContext, closed []string) error {
	if len(closed) == 0 {
		return nil
	}
	permanent := strings.Fields(h.query("firewall-cmd", "--permanent", "--list-ports"))
	var runtime, perm []string
	for _, p := range closed {
		runtime = append(runtime, "--add-port="+p)
		if !slices.Contains(permanent, p) {
			perm = append(perm, "--add-port="+p)
		}
	}
	if len(perm) > 0 {
		if err := h.do("firewall-cmd", append([]string{"--permanent"}, perm...)...); err != nil {
			return fmt.Errorf("failed to open %s in firewalld: %w", strings.Join(closed, " "), err)
		}
		if err := recordHostChange(rc, func(c *hostChanges) {
			for _, p := range perm {
				c.FirewalldPorts = append(c.FirewalldPorts, strings.TrimPrefix(p, "--add-port="))
			}
		}); err != nil {
			return err
		}
	}
	if err := h.do("firewall-cmd", runtime...); err != nil {
		return fmt.Errorf("failed to open %s in firewalld: %w", strings.Join(closed, " "), err)
	}
	rc.Log().Infof("firewalld: opened %s", strings.Join(closed, " "))
	return nil
}

// firewalldDone is preflight's observation: a running firewalld allows
// every port of firewalldPorts. A firewalld started after okdctl ran (or
// a port someone closed) makes preflight run again, which opens them.
func firewalldDone(ctx context.Context, rc *RunContext) bool {
	h := hostRunner{ctx: ctx, run: rc.Host().Runner}
	running, closed := h.firewalldClosed(firewalldPorts(rc))
	if running && len(closed) > 0 {
		rc.Log().Infof("firewalld does not allow %s (started after okdctl opened its ports, or they were closed): preflight opens them", strings.Join(closed, " "))
		return false
	}
	return true
}

// preflightFirewalld opens every port of firewalldPorts in a running
// firewalld (never starts, stops or disables it).
func preflightFirewalld(ctx context.Context, rc *RunContext) error {
	h := hostRunner{ctx: ctx, run: rc.Host().Runner}
	want := firewalldPorts(rc)
	running, closed := h.firewalldClosed(want)
	switch {
	case !running:
		return nil
	case len(closed) == 0:
		rc.Log().Infof("firewalld is running and allows okdctl's ports (%s); okdctl leaves it running", strings.Join(want, " "))
		return nil
	}
	return h.open(rc, closed)
}
