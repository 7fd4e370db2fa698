package dnsrecords

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Type is a record type okdctl writes.
type Type string

// The record types of a cluster.
const (
	TypeA    Type = "A"
	TypeAAAA Type = "AAAA"
	TypePTR  Type = "PTR"
	TypeSRV  Type = "SRV"
)

// Record is one DNS record of the cluster.
type Record struct {
	// Name is the owner name, fully qualified with a trailing dot.
	Name string
	Type Type
	// Value is an IP address (A, AAAA) or a target name with a trailing dot (PTR, SRV).
	Value    string
	Port     int
	Priority int
	Weight   int
	TTL      uint32
}

// String renders the record as a zone file line.
func (r Record) String() string {
	rdata := r.Value
	if r.Type == TypeSRV {
		rdata = fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, r.Value)
	}
	return fmt.Sprintf("%s\t%d\tIN\t%s\t%s", r.Name, r.TTL, r.Type, rdata)
}

// Records is the cluster's record set, sorted: api, api-int, bastion,
// registry, every node (address and PTR), and etcd-N plus the etcd SRV when
// asked. *.apps is not a stored record: the Corefile's template answers it.
func Records(in Input) ([]Record, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	b := &builder{in: in, zone: in.Zone(), ttl: in.ttl(), ptr: map[netip.Addr]string{}}
	for _, n := range in.Nodes {
		b.host(strings.ToLower(n.Name), n.IP, true)
	}
	b.host("api", in.apiIP(), true)
	b.host("api-int", in.apiIntIP(), true)
	b.host("bastion", in.BastionIP, true)
	if in.RegistryEnabled {
		b.host("registry", in.BastionIP, true)
	}
	if in.EtcdRecords {
		b.etcd()
	}
	sortRecords(b.out)
	return b.out, nil
}

type builder struct {
	in   Input
	zone string
	ttl  uint32
	ptr  map[netip.Addr]string // the label whose PTR an address has
	out  []Record
}

// host adds the address record of label, and its PTR unless an earlier
// name already claimed the address: nodes come first, then api and api-int,
// so the load balancer's address points back to both api and api-int (as
// the OpenShift documentation's validation of user-provisioned DNS shows).
func (b *builder) host(label, ip string, withPTR bool) {
	addr := netip.MustParseAddr(ip).Unmap()
	name := label + "." + b.zone
	typ := TypeA
	if addr.Is6() {
		typ = TypeAAAA
	}
	b.out = append(b.out, Record{Name: name, Type: typ, Value: addr.String(), TTL: b.ttl})
	claimed, ok := b.ptr[addr]
	if withPTR && (!ok || claimed == "api" && label == "api-int") {
		b.ptr[addr] = label
		b.out = append(b.out, Record{Name: ReverseName(addr), Type: TypePTR, Value: name, TTL: b.ttl})
	}
}

// etcd adds etcd-N for the N-th master and the SRV records pointing at them.
func (b *builder) etcd() {
	for i, m := range b.in.masters() {
		label := fmt.Sprintf("etcd-%d", i)
		b.host(label, m.IP, false)
		b.out = append(b.out, Record{Name: "_etcd-server-ssl._tcp." + b.zone, Type: TypeSRV,
			Value: label + "." + b.zone, Port: EtcdPeerPort, Priority: 0, Weight: 10, TTL: b.ttl})
	}
}

// ReverseName is the in-addr.arpa / ip6.arpa name of an address.
func ReverseName(addr netip.Addr) string {
	name, _ := dns.ReverseAddr(addr.Unmap().String())
	return name
}

func sortRecords(rs []Record) {
	slices.SortFunc(rs, func(a, b Record) int {
		return cmp.Or(cmp.Compare(a.Type.order(), b.Type.order()), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Value, b.Value), cmp.Compare(a.Port, b.Port))
	})
}

func (t Type) order() int {
	return slices.Index([]Type{TypeA, TypeAAAA, TypeSRV, TypePTR}, t)
}

// SharedPTR is a reverse name with several PTR records (the load balancer's
// address answers api and api-int). CoreDNS's etcd plugin reads a PTR from
// one exact key, so one value per name; the Corefile's template plugin
// answers these names instead, and they are not stored in etcd.
type SharedPTR struct {
	Name    string
	Targets []string
}

// SharedPTRs are the reverse names of records with more than one PTR, sorted.
func SharedPTRs(records []Record) []SharedPTR {
	targets := map[string][]string{}
	var names []string
	for _, r := range records {
		if r.Type != TypePTR {
			continue
		}
		if len(targets[r.Name]) == 0 {
			names = append(names, r.Name)
		}
		targets[r.Name] = append(targets[r.Name], r.Value)
	}
	var out []SharedPTR
	for _, n := range names {
		if t := targets[n]; len(t) > 1 {
			slices.Sort(t)
			out = append(out, SharedPTR{Name: n, Targets: t})
		}
	}
	slices.SortFunc(out, func(a, b SharedPTR) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
