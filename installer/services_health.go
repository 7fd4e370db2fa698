package installer

import (
	"context"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/haproxy"
	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/webserver"
)

// PhaseServices lists, per phase, the bastion services it leaves running
// for this spec (none for a service the site provides).
func PhaseServices(s *spec.ClusterSpec) map[string][]string {
	m := map[string][]string{}
	if s.DNS.External == nil && !s.DNS.Manual {
		m[PhaseDNS] = []string{dnsrecords.EtcdServiceName, dnsrecords.CoreDNSServiceName}
	}
	if s.LoadBalancer.External == nil {
		m[PhaseLoadBalancer] = []string{haproxy.ServiceName}
	}
	if s.RegistryEnabled() {
		m[PhaseRegistry] = []string{registry.ServiceName}
	}
	m[PhaseHTTP] = []string{webserver.ServiceName}
	return m
}

// ServiceHealth is whether one phase's service runs.
type ServiceHealth struct {
	Phase   string `json:"phase"`
	Service string `json:"service"`
	Running bool   `json:"running"`
	// Error says why it could not be asked (Running is then false).
	Error string `json:"error,omitempty"`
}

// CheckServices asks svcs whether each phase's services run, in phase order.
func CheckServices(ctx context.Context, s *spec.ClusterSpec, svcs bastion.Services) []ServiceHealth {
	byPhase := PhaseServices(s)
	var out []ServiceHealth
	for _, phase := range PhaseNames() {
		for _, name := range byPhase[phase] {
			h := ServiceHealth{Phase: phase, Service: name}
			running, err := svcs.Running(ctx, name)
			h.Running = running
			if err != nil {
				h.Error = err.Error()
			}
			out = append(out, h)
		}
	}
	return out
}
