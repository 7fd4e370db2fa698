package installer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/haproxy"
	"github.com/okdctl/okdctl/spec"
)

// LoadBalancerPhase is the loadbalancer phase: HAProxy for the API, machine config and ingress.
type LoadBalancerPhase struct {
	// Health overrides the production health-check timing (tests shorten it).
	Health haproxy.Health
}

var (
	_ Checker          = (*LoadBalancerPhase)(nil)
	_ InputProvider    = (*LoadBalancerPhase)(nil)
	_ BootstrapRemover = (*LoadBalancerPhase)(nil)
)

// Name implements Phase.
func (*LoadBalancerPhase) Name() string { return PhaseLoadBalancer }

// HAProxyUser runs okdctl-haproxy on a real bastion.
const HAProxyUser = "haproxy"

// HAProxyConfigPath is the live haproxy.cfg (okdctl-haproxy owns it).
func HAProxyConfigPath(rc *RunContext) string { return rc.Path("/etc/haproxy/haproxy.cfg") }

// haproxySocket is the master CLI socket: outside /run so that it survives
// a reboot's tmpfs, and outside /var/lib/okdctl (root's) so that user
// haproxy reaches it.
func haproxySocket(rc *RunContext) string { return rc.Path("/var/lib/okdctl-haproxy/master.sock") }

// haproxyInput translates the spec: every listener on the bastion, the
// bootstrap node until the bootstrap phase dropped it, ingress to the
// workers (to the masters when there are none).
func (p *LoadBalancerPhase) haproxyInput(rc *RunContext) haproxy.Input {
	s := rc.Spec()
	pt := s.Bastion.Ports
	in := haproxy.Input{Cluster: rc.Cluster().ClusterDomain(), BindIP: s.Bastion.IP, Health: p.Health,
		Ports: haproxy.Ports{API: pt.API, MachineConfig: pt.MachineConfig, IngressHTTP: pt.IngressHTTP,
			IngressHTTPS: pt.IngressHTTPS, Stats: pt.Stats}}
	in.Masters, in.Workers = p.servers(rc, spec.RoleMaster), p.servers(rc, spec.RoleWorker)
	if !bootstrapRemoved(rc) {
		in.Bootstrap = p.servers(rc, spec.RoleBootstrap)
	}
	return in
}

// liveMatches reports whether the live haproxy.cfg is the wanted one. A
// bootstrap phase interrupted between recording the removal and reloading
// leaves the bootstrap servers in: that is its own work to finish when it
// runs again, not a change of this phase's result.
func (p *LoadBalancerPhase) liveMatches(rc *RunContext, in haproxy.Input, live []byte) (bool, error) {
	want, err := haproxy.Render(in)
	if err != nil || string(live) == string(want) {
		return err == nil, err
	}
	if rc.State().Phase(PhaseBootstrap).Status == StatusDone || len(in.Bootstrap) > 0 {
		return false, nil
	}
	in.Bootstrap = p.servers(rc, spec.RoleBootstrap)
	withBootstrap, err := haproxy.Render(in)
	return err == nil && string(live) == string(withBootstrap), err
}

// servers are the spec's nodes of one role as HAProxy backends.
func (p *LoadBalancerPhase) servers(rc *RunContext, role string) []haproxy.Server {
	var out []haproxy.Server
	for _, n := range rc.Spec().NodesWithRole(role) {
		out = append(out, haproxy.Server{Name: n.Name, IP: n.IP})
	}
	return out
}

func bootstrapRemoved(rc *RunContext) bool {
	_, err := rc.Host().Files.ReadFile(rc.StatePath(FileBootstrapRemoved))
	return err == nil
}

// Inputs implements InputProvider.
func (p *LoadBalancerPhase) Inputs(rc *RunContext) (any, error) {
	if lb := rc.Spec().LoadBalancer.External; lb != nil {
		in := p.haproxyInput(rc)
		in.Bootstrap = p.servers(rc, spec.RoleBootstrap)
		return map[string]any{"haproxy": in, "external": externalFrontends(rc)}, nil
	}
	bin, _ := bastion.LookPath("haproxy")
	// the spec's servers, bootstrap included: its removal after bootstrap is
	// the bootstrap phase's change, confirmed by Done, not a new input
	in := p.haproxyInput(rc)
	in.Bootstrap = p.servers(rc, spec.RoleBootstrap)
	return map[string]any{"haproxy": in, "binary": bin, "sandbox": rc.Sandbox()}, nil
}

// Done implements Checker: the live haproxy.cfg is the wanted one,
// okdctl-haproxy runs and every listener accepts.
func (p *LoadBalancerPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	if !rc.BastionReachable() {
		return false, nil
	}
	if rc.Spec().LoadBalancer.External != nil {
		return p.doneExternal(ctx, rc)
	}
	in := p.haproxyInput(rc)
	live, err := rc.Host().Files.ReadFile(HAProxyConfigPath(rc))
	if err != nil {
		return false, nil
	}
	if ok, err := p.liveMatches(rc, in, live); !ok || err != nil {
		return false, err
	}
	if up, _ := rc.Host().Services.Running(ctx, haproxy.ServiceName); !up {
		return false, nil
	}
	return len(listenerFailures(ctx, rc)) == 0, nil
}

// Run implements Phase: host access, the checked configuration, then every listener.
func (p *LoadBalancerPhase) Run(ctx context.Context, rc *RunContext) error {
	if rc.Spec().LoadBalancer.External != nil {
		return p.runExternal(ctx, rc)
	}
	in := p.haproxyInput(rc)
	cfg, err := haproxy.Render(in)
	if err != nil {
		return err
	}
	access := hostAccess{What: "HAProxy", Booleans: []string{"haproxy_connect_any"},
		Ports: []int{in.Ports.API, in.Ports.MachineConfig, in.Ports.IngressHTTP, in.Ports.IngressHTTPS, in.Ports.Stats}}
	if err := ensureHostAccess(ctx, rc, access); err != nil {
		return err
	}
	d, err := p.deployer(rc)
	if d == nil {
		return err
	}
	if err := takeOverDistroHAProxy(ctx, rc); err != nil {
		return err
	}
	if err := p.apply(ctx, rc, d, cfg, "haproxy.cfg"); err != nil {
		return err
	}
	return verifyListeners(ctx, rc, in)
}

// deployer finds haproxy; a dry run without it notes what it would do and
// returns no deployer (and no error).
func (p *LoadBalancerPhase) deployer(rc *RunContext) (*haproxy.Deployer, error) {
	bin, err := bastion.LookPath("haproxy")
	if err != nil {
		err = fmt.Errorf("failed to find haproxy: %w (Debian: apt-get install haproxy; Fedora/RHEL: dnf install haproxy)", err)
		if rc.DryRun() {
			rc.Log().Warnf("%v", err)
			rc.Host().Note(fmt.Sprintf("write %s, check it with haproxy -c and run %s", HAProxyConfigPath(rc), haproxy.ServiceName))
			return nil, nil
		}
		return nil, err
	}
	return haproxyDeployer(rc, bin), nil
}

// haproxyDeployer runs HAProxy as user haproxy on a real bastion (systemd
// starts it so: it has no user directive to drop to).
func haproxyDeployer(rc *RunContext, bin string) *haproxy.Deployer {
	d := &haproxy.Deployer{Host: rc.Host(), Binary: bin, ConfigPath: HAProxyConfigPath(rc), SocketPath: haproxySocket(rc)}
	if !rc.Sandbox() {
		pt := rc.Spec().Bastion.Ports
		d.User = HAProxyUser
		d.Capabilities = bastion.BindCapabilities(pt.API, pt.MachineConfig, pt.IngressHTTP, pt.IngressHTTPS, pt.Stats)
	}
	return d
}

func (p *LoadBalancerPhase) apply(ctx context.Context, rc *RunContext, d *haproxy.Deployer, cfg []byte, what string) error {
	res, err := d.Apply(ctx, cfg)
	if err != nil {
		return err
	}
	if res.Action != bastion.Unchanged && !rc.DryRun() {
		rc.Changed()
		pid, _, _ := d.Status(ctx)
		rc.Log().Infof("%s %s with the new %s (master pid %d)", haproxy.ServiceName, res.Action, what, pid)
	}
	return nil
}

// takeOverDistroHAProxy stops the distribution's haproxy.service on a real
// bastion: it reads the same /etc/haproxy/haproxy.cfg and would hold the ports.
func takeOverDistroHAProxy(ctx context.Context, rc *RunContext) error {
	if rc.Sandbox() {
		return nil
	}
	h := hostRunner{ctx: ctx, run: rc.Host().Runner}
	if h.query("systemctl", "is-active", "haproxy.service") != "active" {
		return nil
	}
	rc.Log().Infof("the distribution's haproxy.service runs on the file okdctl writes: okdctl-haproxy takes over (systemctl disable --now haproxy)")
	if err := h.do("systemctl", "disable", "--now", "haproxy.service"); err != nil {
		return fmt.Errorf("failed to stop the distribution's haproxy.service: %w", err)
	}
	return nil
}

// verifyListeners waits until every listener accepts.
func verifyListeners(ctx context.Context, rc *RunContext, in haproxy.Input) error {
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("verify that HAProxy accepts on %s ports %d (api), %d (machine config), %d/%d (ingress), %d (stats)",
			in.BindIP, in.Ports.API, in.Ports.MachineConfig, in.Ports.IngressHTTP, in.Ports.IngressHTTPS, in.Ports.Stats))
		return nil
	}
	// the same checks as okdctl verify's (one implementation)
	if bad := listenerFailures(ctx, rc); len(bad) > 0 {
		wait := bastion.WaitOptions{What: "HAProxy's listeners", Timeout: 15 * time.Second,
			Interval: 200 * time.Millisecond, Log: rc.Log().Progressf}
		err := bastion.Poll(ctx, wait, func(ctx context.Context) (bool, error) {
			bad = listenerFailures(ctx, rc)
			return len(bad) == 0, nil
		})
		if err != nil {
			return fmt.Errorf("failed to verify the load balancer: %s\nsee the log of %s", strings.Join(bad, "; "), haproxy.ServiceName)
		}
	}
	rc.Log().Infof("HAProxy accepts on %s: api %d, machine config %d, ingress %d/%d, stats http://%s/",
		in.BindIP, in.Ports.API, in.Ports.MachineConfig, in.Ports.IngressHTTP, in.Ports.IngressHTTPS,
		haproxy.Listeners(in.BindIP, in.Ports)["stats"])
	return nil
}

// RemoveBootstrap implements BootstrapRemover: the configuration without
// the bootstrap servers is checked and reloaded (open connections finish
// on the old workers), then recorded so that later runs keep it out.
func (p *LoadBalancerPhase) RemoveBootstrap(ctx context.Context, rc *RunContext) (bool, error) {
	if rc.Spec().LoadBalancer.External != nil {
		return p.removeBootstrapExternal(ctx, rc)
	}
	d, err := p.deployer(rc)
	if d == nil {
		return false, err
	}
	// the intent is recorded first: a run killed between the two steps
	// then finishes the removal, where the other order would let the
	// loadbalancer phase put the bootstrap servers back
	mark := []byte("the bootstrap phase removed the bootstrap servers from haproxy.cfg\n")
	if _, err := rc.Host().Files.WriteFile(rc.StatePath(FileBootstrapRemoved), mark, 0o644); err != nil {
		return false, err
	}
	res, err := haproxy.RemoveBootstrap(ctx, d, p.haproxyInput(rc))
	if err != nil {
		return false, err
	}
	if res.Action != bastion.Unchanged && !rc.DryRun() {
		pid, _, _ := d.Status(ctx)
		rc.Log().Infof("%s %s without the bootstrap servers (master pid %d)", haproxy.ServiceName, res.Action, pid)
	}
	return res.Written || res.Action != bastion.Unchanged, nil
}
