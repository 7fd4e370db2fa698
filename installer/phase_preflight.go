package installer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
)

// PreflightPhase is the preflight phase: the spec, tools, ports and host checks.
type PreflightPhase struct {
	// FreeSpace probes the registry storage's free bytes (tests fake it).
	FreeSpace func(dir string) (int64, error)
}

var (
	_ Checker       = (*PreflightPhase)(nil)
	_ InputProvider = (*PreflightPhase)(nil)
)

// Name implements Phase.
func (*PreflightPhase) Name() string { return PhasePreflight }

// Inputs implements InputProvider: the whole spec.
func (*PreflightPhase) Inputs(rc *RunContext) (any, error) {
	return struct {
		Spec    spec.ClusterSpec
		Sandbox bool
	}{rc.Cluster().Spec, rc.Sandbox()}, nil
}

// Done implements Checker: the checks still pass.
func (p *PreflightPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	if err := p.check(ctx, rc, false); err != nil {
		return false, err
	}
	return rc.Sandbox() || firewalldDone(ctx, rc), nil
}

// Run implements Phase.
func (p *PreflightPhase) Run(ctx context.Context, rc *RunContext) error {
	return p.check(ctx, rc, true)
}

func (p *PreflightPhase) check(ctx context.Context, rc *RunContext, verbose bool) error {
	var problems []string
	problems = append(problems, missingTools(rc)...)
	problems = append(problems, missingPXE(rc)...)
	if err := bastionAddress(rc.Spec().Bastion.IP); err != nil {
		problems = append(problems, err.Error())
	} else {
		problems = append(problems, busyPorts(ctx, rc)...)
		problems = append(problems, busyPXEPorts(ctx, rc)...)
	}
	if verbose && len(problems) == 0 && !rc.DryRun() {
		problems = append(problems, mirrorSpace(ctx, rc, p.FreeSpace)...)
	}
	var found []string
	if len(problems) > 0 {
		found = append(found, "the bastion is not ready:\n  - "+strings.Join(problems, "\n  - "))
	}
	if mismatches := releaseCoherence(ctx, rc, verbose); len(mismatches) > 0 {
		found = append(found, "the release, openshift-install and CoreOS do not match:\n  - "+strings.Join(mismatches, "\n  - "))
	}
	if len(found) > 0 {
		return errors.New(strings.Join(found, "\n"))
	}
	if verbose {
		installerNote(rc)
		if !rc.Sandbox() {
			hostNotes(ctx, rc)
			return preflightFirewalld(ctx, rc)
		}
	}
	return nil
}

// ToolsFor lists the programs the bastion needs for a spec.
func ToolsFor(s *spec.ClusterSpec, sandbox bool) []string {
	// okdctl serves etcd, CoreDNS and the registry itself (okdctl serve)
	tools := []string{"nginx"}
	if s.LoadBalancer.External == nil {
		tools = append(tools, "haproxy")
	}
	if !sandbox {
		tools = append(tools, "systemctl")
	}
	return tools
}

func missingTools(rc *RunContext) []string {
	var missing []string
	for _, t := range ToolsFor(rc.Spec(), rc.Sandbox()) {
		if _, err := bastion.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return []string{"missing programs: " + strings.Join(missing, ", ") + " (Debian/Ubuntu: apt-get install haproxy nginx; Fedora/RHEL/CentOS Stream: dnf install haproxy nginx)"}
}

// bastionAddress checks that ip belongs to this machine (loopback always does).
func bastionAddress(ip string) error {
	parsed := net.ParseIP(ip)
	if parsed.IsLoopback() {
		return nil
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return fmt.Errorf("failed to list this machine's addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(parsed) {
			return nil
		}
	}
	return fmt.Errorf("spec.bastion.ip %s is not an address of this machine: run okdctl on the bastion, or fix spec.bastion.ip", ip)
}

// busyPorts lists bastion ports taken by programs that are not okdctl's own services.
func busyPorts(ctx context.Context, rc *RunContext) []string {
	owners := map[string]string{"dns": "okdctl-coredns", "api": "okdctl-haproxy", "machineConfig": "okdctl-haproxy",
		"ingressHTTP": "okdctl-haproxy", "ingressHTTPS": "okdctl-haproxy", "stats": "okdctl-haproxy",
		"ignition": "okdctl-nginx", "registry": "okdctl-registry", "etcd": "okdctl-etcd", "etcdPeer": "okdctl-etcd"}
	var busy []string
	for _, p := range rc.Spec().Bastion.Ports.List() {
		if !servedHere(rc.Spec(), p.Name) {
			continue
		}
		ip := rc.Spec().Bastion.IP
		if strings.HasPrefix(p.Name, "etcd") && !rc.Sandbox() {
			ip = "127.0.0.1" // okdctl's etcd listens on loopback only (see etcdURL)
		}
		addr := net.JoinHostPort(ip, strconv.Itoa(p.Port))
		if err := portFree(addr, p.Name == "dns"); err == nil {
			continue
		} else if ownService(ctx, rc, owners[p.Name]) {
			continue
		} else {
			busy = append(busy, busyPort("spec.bastion.ports."+p.Name, ip, p.Port, p.Name == "dns", err))
		}
	}
	return busy
}

// ownService reports whether okdctl's own service runs (and so holds its
// port): through the run's services, or, under --root, as the sandbox a
// run with --sandbox started there (a plan without --sandbox after one).
func ownService(ctx context.Context, rc *RunContext, name string) bool {
	if running, _ := rc.Host().Services.Running(ctx, name); running {
		return true
	}
	if rc.Host().Paths.Root == "" || rc.Sandbox() {
		return false
	}
	running, _ := (&bastion.Sandbox{Paths: rc.Host().Paths}).Running(ctx, name)
	return running
}

// servedHere reports whether the bastion serves the port's service (not
// a site's DNS server, load balancer or registry).
func servedHere(s *spec.ClusterSpec, port string) bool {
	switch port {
	case "registry":
		return s.RegistryEnabled()
	case "dns", "etcd", "etcdPeer":
		return s.DNS.External == nil && !s.DNS.Manual
	case "api", "machineConfig", "ingressHTTP", "ingressHTTPS", "stats":
		return s.LoadBalancer.External == nil
	}
	return true
}

func portFree(addr string, udp bool) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	l.Close()
	if udp {
		u, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		u.Close()
	}
	return nil
}

// hostNotes reports SELinux, firewalld and time sync on a real bastion.
func hostNotes(ctx context.Context, rc *RunContext) {
	log := rc.Log()
	if data, err := os.ReadFile("/sys/fs/selinux/enforce"); err == nil && strings.TrimSpace(string(data)) == "1" {
		log.Infof("SELinux is enforcing: okdctl keeps it so and sets the booleans its services need")
	} else {
		log.Infof("SELinux is not enforcing: okdctl does not need it off, and will not change it")
	}
	run := func(name string, args ...string) string {
		out, err := rc.Host().Runner.Run(ctx, bastion.Cmd{Name: name, Args: args, ReadOnly: true})
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	if sync := run("timedatectl", "show", "-p", "NTPSynchronized", "--value"); sync != "" && sync != "yes" {
		log.Warnf("the clock is not synchronised (timedatectl: NTPSynchronized=%s): ignition certificates are valid for 24 hours from now, so a wrong clock breaks the install; enable chronyd", sync)
	}
}

// installerNote warns early when openshift-install is missing; the
// manifests phase fails on it, so the earlier phases can still run.
func installerNote(rc *RunContext) {
	name := rc.Spec().OpenShiftInstall
	if name == "" {
		name = "openshift-install"
	}
	if _, err := bastion.LookPath(name); err != nil {
		rc.Log().Warnf("%s is not installed: the manifests phase needs it (oc adm release extract --command=openshift-install %s, or set spec.openshiftInstall)", name, rc.Spec().Release.Image)
	}
}
