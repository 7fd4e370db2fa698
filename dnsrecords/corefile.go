package dnsrecords

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"text/template"

	"github.com/okdctl/okdctl/templates"
)

// Server is how CoreDNS serves the records.
type Server struct {
	// Listen are the addresses CoreDNS binds (the bastion's).
	Listen []string
	// Port is the DNS port (default 53).
	Port int
	// Endpoints are etcd's client URLs.
	Endpoints []string
	// Upstreams answer names outside the cluster's zones ("IP" or "IP:port");
	// with none, CoreDNS refuses them.
	Upstreams []string
	// CacheTTL caps, in seconds, how long a forwarded answer (a name
	// outside the cluster's zones) is cached (default 30). The cluster's
	// own zones are not cached, so a changed record shows at once.
	CacheTTL int
}

// DefaultCacheTTL is the cache cap of the Corefile's forwarder.
const DefaultCacheTTL = 30

func (s Server) withDefaults() Server {
	if s.Port == 0 {
		s.Port = 53
	}
	if s.CacheTTL <= 0 {
		s.CacheTTL = DefaultCacheTTL
	}
	return s
}

type corefileData struct {
	ClusterDomain, Zone, Prefix, AppsZone, AppsRegexp string
	Zones                                             []string
	Listen, Endpoints, Upstreams                      []string
	Port, CacheTTL                                    int
	TTL                                               uint32
	Ingress                                           []ingress
	SharedPTRs                                        []sharedPTRData
}

type ingress struct{ Type, IP string }

type sharedPTRData struct {
	Zone, Regexp string
	Targets      []string
}

var corefileTmpl = template.Must(template.New("Corefile.tmpl").Delims("[[", "]]").ParseFS(templates.FS, "Corefile.tmpl"))

// RenderCorefile renders the Corefile: the cluster zone and its reverse
// zones from etcd (unknown names answer NXDOMAIN), *.apps from the template
// plugin, and a forwarder for other names only when upstreams are given.
func RenderCorefile(in Input, srv Server) ([]byte, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	data, err := corefileDataOf(in, srv.withDefaults())
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := corefileTmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("failed to render the Corefile: %w", err)
	}
	return b.Bytes(), nil
}

func corefileDataOf(in Input, srv Server) (*corefileData, error) {
	if len(srv.Listen) == 0 || len(srv.Endpoints) == 0 {
		return nil, fmt.Errorf("the Corefile needs a listen address and an etcd endpoint")
	}
	for _, u := range srv.Upstreams {
		if !validUpstream(u) {
			return nil, fmt.Errorf("the upstream DNS server %q is not an IP address or IP:port", u)
		}
	}
	zones, err := ReverseZones(in)
	if err != nil {
		return nil, err
	}
	zone := in.Zone()
	apps := "apps." + zone
	d := &corefileData{ClusterDomain: strings.TrimSuffix(zone, "."), Zone: zone, Prefix: in.prefix(),
		AppsZone: strings.TrimSuffix(apps, "."), AppsRegexp: regexp.QuoteMeta(apps),
		Zones: append([]string{strings.TrimSuffix(zone, ".")}, zones...), Listen: srv.Listen,
		Endpoints: srv.Endpoints, Upstreams: srv.Upstreams, Port: srv.Port, CacheTTL: srv.CacheTTL,
		TTL: in.ttl()}
	records, err := Records(in)
	if err != nil {
		return nil, err
	}
	for _, s := range SharedPTRs(records) {
		d.SharedPTRs = append(d.SharedPTRs, sharedPTRData{Zone: strings.TrimSuffix(s.Name, "."),
			Regexp: regexp.QuoteMeta(s.Name), Targets: s.Targets})
	}
	addr := netip.MustParseAddr(in.ingressIP()).Unmap()
	typ := "A"
	if addr.Is6() {
		typ = "AAAA"
	}
	d.Ingress = []ingress{{Type: typ, IP: addr.String()}}
	return d, nil
}

func validUpstream(u string) bool {
	if _, err := netip.ParseAddr(u); err == nil {
		return true
	}
	_, err := netip.ParseAddrPort(u)
	return err == nil
}
