package haproxy

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"time"
)

// Server is one cluster node behind the load balancer.
type Server struct {
	Name string
	IP   string
}

// Ports are the load balancer's own listeners on the bastion.
type Ports struct {
	API           int
	MachineConfig int
	IngressHTTP   int
	IngressHTTPS  int
	Stats         int
}

// NodePorts are the ports the nodes serve (default 6443, 22623, 80, 443).
type NodePorts struct {
	API           int
	MachineConfig int
	IngressHTTP   int
	IngressHTTPS  int
}

// Health is how backends are probed: every Interval, a probe failing when
// it gets no answer within Timeout. A failed master leaves the pool after
// Fall failed probes in a row.
type Health struct {
	Interval time.Duration
	Timeout  time.Duration
	Rise     int
	Fall     int
}

// Production health timing (REFERENCE.md section 2): probe every 5 s, 2
// successes to rise, 3 failures to fall. A master whose /readyz fails
// leaves the pool within about 15 s; one that no longer answers at all
// within 30 s (see Removal), the documented bound.
var DefaultHealth = Health{Interval: 5 * time.Second, Timeout: 3 * time.Second, Rise: 2, Fall: 3}

// MaxRemoval is the longest a failed master may stay in the pool.
const MaxRemoval = 30 * time.Second

// Input is everything haproxy.cfg is rendered from.
type Input struct {
	// Cluster names the cluster in the file's header (e.g. okd.example).
	Cluster string
	// BindIP is the bastion address every listener binds.
	BindIP string
	Ports  Ports
	// NodePorts default to the standard OpenShift ports.
	NodePorts NodePorts
	// Bootstrap is listed (as backup) for the API and machine config until
	// bootstrap completes; RemoveBootstrap drops it.
	Bootstrap []Server
	Masters   []Server
	// Workers serve ingress; with none, the masters do.
	Workers []Server
	// Health defaults to DefaultHealth.
	Health Health
	// User and Group are the account HAProxy drops to after binding (a
	// real bastion's "haproxy"); empty keeps the starting user (sandbox).
	User  string
	Group string
}

// WithoutBootstrap is the input once bootstrap has completed.
func (in Input) WithoutBootstrap() Input {
	in.Bootstrap = nil
	return in
}

// Ingress lists the servers behind the ingress listeners: the workers, or
// the masters when there are none (compact and single-node clusters).
func (in Input) Ingress() []Server {
	if len(in.Workers) > 0 {
		return in.Workers
	}
	return in.Masters
}

// IngressBackup lists the masters as backup ingress servers when there are
// workers: a cluster installed without workers keeps its routers on the
// masters until they are moved, so adding the first worker must not cut
// off *.apps. HAProxy sends traffic to a backup only when no worker's
// router answers its health check.
func (in Input) IngressBackup() []Server {
	if len(in.Workers) > 0 {
		return in.Masters
	}
	return nil
}

func (in Input) withDefaults() Input {
	np := &in.NodePorts
	np.API = orDefault(np.API, 6443)
	np.MachineConfig = orDefault(np.MachineConfig, 22623)
	np.IngressHTTP = orDefault(np.IngressHTTP, 80)
	np.IngressHTTPS = orDefault(np.IngressHTTPS, 443)
	if in.Health == (Health{}) {
		in.Health = DefaultHealth
	}
	if in.Group == "" {
		in.Group = in.User
	}
	return in
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

var serverName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate reports every problem of the input at once.
func (in Input) Validate() error {
	in = in.withDefaults()
	var errs []error
	if _, err := netip.ParseAddr(in.BindIP); err != nil {
		errs = append(errs, fmt.Errorf("bind address %q is not an IP address", in.BindIP))
	}
	errs = append(errs, in.validatePorts()...)
	if len(in.Masters) == 0 {
		errs = append(errs, errors.New("no masters: the API needs at least one"))
	}
	errs = append(errs, validateServers(in.Bootstrap, in.Masters, in.Workers)...)
	errs = append(errs, in.Health.validate()...)
	return errors.Join(errs...)
}

func (in Input) validatePorts() []error {
	var errs []error
	seen := map[int]string{}
	for _, p := range []struct {
		name string
		port int
	}{{"api", in.Ports.API}, {"machineConfig", in.Ports.MachineConfig}, {"ingressHTTP", in.Ports.IngressHTTP},
		{"ingressHTTPS", in.Ports.IngressHTTPS}, {"stats", in.Ports.Stats}} {
		switch {
		case p.port < 1 || p.port > 65535:
			errs = append(errs, fmt.Errorf("port %s %d is not between 1 and 65535", p.name, p.port))
		case seen[p.port] != "":
			errs = append(errs, fmt.Errorf("port %s %d is also port %s", p.name, p.port, seen[p.port]))
		default:
			seen[p.port] = p.name
		}
	}
	return errs
}

func validateServers(groups ...[]Server) []error {
	var errs []error
	names := map[string]bool{}
	for _, g := range groups {
		for _, s := range g {
			if !serverName.MatchString(s.Name) {
				errs = append(errs, fmt.Errorf("server name %q is not usable in haproxy.cfg (letters, digits, '.', '-', '_')", s.Name))
			}
			if names[s.Name] {
				errs = append(errs, fmt.Errorf("server name %q is used twice", s.Name))
			}
			names[s.Name] = true
			if _, err := netip.ParseAddr(s.IP); err != nil {
				errs = append(errs, fmt.Errorf("server %s: %q is not an IP address", s.Name, s.IP))
			}
		}
	}
	return errs
}

func (h Health) validate() []error {
	var errs []error
	if h.Interval <= 0 || h.Timeout <= 0 || h.Rise < 1 || h.Fall < 1 {
		errs = append(errs, fmt.Errorf("health timing %+v needs a positive interval, timeout, rise and fall", h))
	}
	if worst := h.Removal(); worst > MaxRemoval {
		errs = append(errs, fmt.Errorf("health timing lets a failed master stay %s in the pool (at most %s)", worst, MaxRemoval))
	}
	return errs
}

// ConnectTimeout is HAProxy's connect timeout (timeout connect).
const ConnectTimeout = 10 * time.Second

// Removal is the longest a failed backend stays in the pool: Fall probes,
// each started Interval after the previous one ended and lasting at most
// the longer of Timeout (no answer) and the probe's connect timeout, which
// HAProxy bounds by min(timeout connect, inter) (an unreachable master).
func (h Health) Removal() time.Duration {
	probe := max(h.Timeout, min(ConnectTimeout, h.Interval))
	return time.Duration(h.Fall) * (h.Interval + probe)
}
