package spec

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// DNS says who serves the cluster's names. Empty: okdctl's own etcd and
// CoreDNS on the bastion.
type DNS struct {
	// External is a site's authoritative server that okdctl keeps the
	// records in through RFC 2136 dynamic updates signed with TSIG.
	External *ExternalDNS `yaml:"external,omitempty" json:"external,omitempty"`
	// Manual: okdctl writes the records as zone fragments (BIND and
	// dnsmasq) under its state directory to hand over, and only verifies
	// what Server answers.
	Manual bool `yaml:"manual,omitempty" json:"manual,omitempty"`
	// Server is the DNS server the nodes use with manual ("IP" or "IP:port").
	Server string `yaml:"server,omitempty" json:"server,omitempty"`
}

// ExternalDNS is a site's authoritative DNS server.
type ExternalDNS struct {
	// Server is "IP" or "IP:port" (53); the nodes use it as their nameserver.
	Server string `yaml:"server" json:"server"`
	// Zone is the forward zone it is primary for: the cluster's zone or one above it.
	Zone string `yaml:"zone" json:"zone"`
	// ReverseZones are the in-addr.arpa zones of the node addresses.
	ReverseZones []string `yaml:"reverseZones" json:"reverseZones"`
	TSIGKey      TSIGKey  `yaml:"tsigKey" json:"tsigKey"`
}

// TSIGKey names the key the server accepts updates and transfers with.
type TSIGKey struct {
	Name      string `yaml:"name" json:"name"`
	Algorithm string `yaml:"algorithm,omitempty" json:"algorithm,omitempty"`
	// SecretFile holds the base64 secret, or the key statement
	// `tsig-keygen NAME` prints; mode 0600.
	SecretFile string `yaml:"secretFile" json:"secretFile"`
}

// LoadBalancer says who balances the API and ingress. Empty: okdctl's own HAProxy.
type LoadBalancer struct {
	External *ExternalLoadBalancer `yaml:"external,omitempty" json:"external,omitempty"`
}

// ExternalLoadBalancer is a site's load balancer: the addresses of its
// frontends, listening on the ports of spec.bastion.ports.
type ExternalLoadBalancer struct {
	API     string `yaml:"api" json:"api"`
	APIInt  string `yaml:"apiInt,omitempty" json:"apiInt,omitempty"`
	Ingress string `yaml:"ingress" json:"ingress"`
	// StatsURL is an HAProxy statistics page, when there is one: verify
	// then sees the bootstrap leave the backends.
	StatsURL string `yaml:"statsURL,omitempty" json:"statsURL,omitempty"`
}

// APIIntOrAPI is the internal API frontend (default the API's).
func (e *ExternalLoadBalancer) APIIntOrAPI() string {
	if e.APIInt != "" {
		return e.APIInt
	}
	return e.API
}

// ExternalRegistry is a site's registry okdctl mirrors into.
type ExternalRegistry struct {
	// Host is "name:port" as image references say it.
	Host string `yaml:"host" json:"host"`
	// IP is where the name points, when the bastion cannot resolve it; TLS
	// is verified for the name and for this address.
	IP string `yaml:"ip,omitempty" json:"ip,omitempty"`
	// CAFile is the CA its certificate chains to (PEM): it goes into
	// install-config's additionalTrustBundle.
	CAFile string `yaml:"caFile" json:"caFile"`
	// AuthFile is a pull secret with the registry's credentials
	// ({"auths":{"HOST":{"auth":...}}}); mode 0600.
	AuthFile string `yaml:"authFile" json:"authFile"`
}

// DNSServer is the DNS server the nodes use, "IP:port".
func (s *ClusterSpec) DNSServer() string {
	switch {
	case s.DNS.External != nil:
		return withPort(s.DNS.External.Server, 53)
	case s.DNS.Manual:
		return withPort(s.DNS.Server, 53)
	}
	return net.JoinHostPort(s.Bastion.IP, strconv.Itoa(s.Bastion.Ports.DNS))
}

func withPort(hostport string, port int) string {
	if _, _, err := net.SplitHostPort(hostport); err == nil {
		return hostport
	}
	return net.JoinHostPort(strings.Trim(hostport, "[]"), strconv.Itoa(port))
}

func (v *validator) infra(s *ClusterSpec) {
	if d := s.DNS.External; d != nil {
		if s.DNS.Manual {
			v.add("spec.dns.manual", msgDNSBoth)
		}
		v.hostPort("spec.dns.external.server", d.Server)
		v.dnsName("spec.dns.external.zone", d.Zone)
		for i, z := range d.ReverseZones {
			if !strings.HasSuffix(strings.TrimSuffix(z, "."), ".in-addr.arpa") && !strings.HasSuffix(strings.TrimSuffix(z, "."), ".ip6.arpa") {
				v.add(fmt.Sprintf("spec.dns.external.reverseZones[%d]", i), msgReverseZone, z)
			}
		}
		if d.TSIGKey.Name == "" {
			v.add("spec.dns.external.tsigKey.name", msgRequired)
		}
		v.secretFile("spec.dns.external.tsigKey.secretFile", d.TSIGKey.SecretFile)
	}
	if s.DNS.Manual {
		v.hostPort("spec.dns.server", s.DNS.Server)
	} else if s.DNS.Server != "" && s.DNS.External == nil {
		v.add("spec.dns.server", msgDNSServerAlone)
	}
	if lb := s.LoadBalancer.External; lb != nil {
		v.ip("spec.loadBalancer.external.api", lb.API)
		if lb.APIInt != "" {
			v.ip("spec.loadBalancer.external.apiInt", lb.APIInt)
		}
		v.ip("spec.loadBalancer.external.ingress", lb.Ingress)
	}
	if r := s.Registry.External; r != nil {
		if s.Registry.Enabled != nil && *s.Registry.Enabled {
			v.add("spec.registry.enabled", msgRegistryBoth)
		}
		if _, port, err := net.SplitHostPort(r.Host); err != nil || port == "" {
			v.add("spec.registry.external.host", msgRegistryHost, r.Host)
		}
		if r.IP != "" {
			v.ip("spec.registry.external.ip", r.IP)
		}
		if data, err := os.ReadFile(r.CAFile); err != nil {
			v.add("spec.registry.external.caFile", msgUnreadable, r.CAFile, unwrapPathError(err))
		} else if !strings.Contains(string(data), "-----BEGIN CERTIFICATE-----") {
			v.add("spec.registry.external.caFile", msgCAFile, r.CAFile)
		}
		if v.secretFile("spec.registry.external.authFile", r.AuthFile) {
			if data, _ := os.ReadFile(r.AuthFile); !validPullSecret(data) || !hasAuth(data, r.Host) {
				v.add("spec.registry.external.authFile", msgAuthFile, r.AuthFile, r.Host)
			}
		}
	}
}

func (v *validator) hostPort(path, s string) {
	host := s
	if h, p, err := net.SplitHostPort(s); err == nil {
		host = h
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			v.add(path, msgHostPort, s)
			return
		}
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
		v.add(path, msgHostPort, s)
	}
}

func (v *validator) ip(path, s string) {
	if _, err := netip.ParseAddr(s); err != nil {
		v.add(path, msgIP, s)
	}
}

// secretFile checks that a secret file is readable and 0600 (never its content).
func (v *validator) secretFile(path, file string) bool {
	if file == "" {
		v.add(path, msgRequired)
		return false
	}
	fi, err := os.Stat(file)
	if err == nil {
		_, err = os.ReadFile(file)
	}
	if err != nil {
		v.add(path, msgUnreadable, file, unwrapPathError(err))
		return false
	}
	if fi.Mode().Perm()&0o077 != 0 {
		v.add(path, msgSecretMode, file, fi.Mode().Perm(), file)
		return false
	}
	return true
}

func hasAuth(data []byte, host string) bool {
	var ps struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	return json.Unmarshal(data, &ps) == nil && ps.Auths[host] != nil
}

// NameserverIP is the address the nodes' resolvers use (nameserver=, the
// static network config): the site's DNS server, or the bastion.
func (s *ClusterSpec) NameserverIP() string {
	host, _, err := net.SplitHostPort(s.DNSServer())
	if err != nil {
		return s.Bastion.IP
	}
	return host
}
