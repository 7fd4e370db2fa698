package dnsrecords

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"strings"

	"github.com/miekg/dns"
)

// Entry is one etcd key and the skydns value CoreDNS reads from it.
type Entry struct {
	Key    string
	Value  string
	Record Record
}

// value is the skydns message (plugin/etcd/msg.Service) plus okdctl's owner
// marker, which CoreDNS ignores. Field order is fixed so equal records
// encode to equal bytes.
type value struct {
	Host     string `json:"host"`
	Port     int    `json:"port,omitempty"`
	Priority int    `json:"priority,omitempty"`
	Weight   int    `json:"weight,omitempty"`
	TTL      uint32 `json:"ttl,omitempty"`
	Owner    string `json:"owner,omitempty"`
}

// Key is the etcd key of a DNS name: its labels reversed under the prefix,
// so api.okd.example. is /skydns/example/okd/api.
func Key(prefix, name string) string {
	labels := dns.SplitDomainName(strings.ToLower(name))
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return path.Join(append([]string{"/", prefix}, labels...)...)
}

// NameOfKey is the DNS name a key serves (the inverse of Key).
func NameOfKey(prefix, key string) string {
	rest := strings.Trim(strings.TrimPrefix(key, path.Join("/", prefix)), "/")
	labels := strings.Split(rest, "/")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return dns.Fqdn(strings.Join(labels, "."))
}

// Entries encodes records as etcd keys and values. Address and SRV records
// live in leaf children of their name's key (okdctl-1, okdctl-2, ...), since
// CoreDNS answers a name with its whole subtree; a PTR lives at the exact key
// of its reverse name, which is how CoreDNS looks PTRs up. A name with
// several PTRs is left to the Corefile (see SharedPTR).
func Entries(in Input, records []Record) ([]Entry, error) {
	prefix, owner := in.prefix(), in.Owner()
	shared := map[string]bool{}
	for _, s := range SharedPTRs(records) {
		shared[s.Name] = true
	}
	leaves := map[string]int{}
	out := make([]Entry, 0, len(records))
	for _, r := range records {
		if shared[r.Name] {
			continue
		}
		key := Key(prefix, r.Name)
		if r.Type != TypePTR {
			leaves[key]++
			key = fmt.Sprintf("%s/okdctl-%d", key, leaves[key])
		}
		v, err := json.Marshal(value{Host: r.Value, Port: r.Port, Priority: r.Priority,
			Weight: r.Weight, TTL: r.TTL, Owner: owner})
		if err != nil {
			return nil, fmt.Errorf("failed to encode %s: %w", r, err)
		}
		out = append(out, Entry{Key: key, Value: string(v), Record: r})
	}
	ns, err := nsEntry(in)
	return append(out, ns), err
}

// nsEntry is the zone's name server: CoreDNS answers NS at the zone apex
// from the key of ns.dns.<zone> (and names the server after the key), so
// it sits at that exact key, pointing at the bastion.
func nsEntry(in Input) (Entry, error) {
	ip := netip.MustParseAddr(in.BastionIP).Unmap()
	r := Record{Name: "ns.dns." + in.Zone(), Type: TypeA, Value: ip.String(), TTL: in.ttl()}
	if ip.Is6() {
		r.Type = TypeAAAA
	}
	v, err := json.Marshal(value{Host: r.Value, TTL: r.TTL, Owner: in.Owner()})
	return Entry{Key: Key(in.prefix(), r.Name), Value: string(v), Record: r}, err
}

// Desired is the record set of in, encoded for etcd.
func Desired(in Input) ([]Entry, error) {
	records, err := Records(in)
	if err != nil {
		return nil, err
	}
	return Entries(in, records)
}

// decodeEntry reads a stored key back into a record, for plans and
// deletions; owner is the value's marker ("" when it has none).
func decodeEntry(prefix, key string, raw []byte) (e Entry, owner string, err error) {
	var v value
	if err := json.Unmarshal(raw, &v); err != nil {
		return Entry{Key: key, Value: string(raw)}, "", fmt.Errorf("%s holds no skydns record: %w", key, err)
	}
	r := Record{Value: v.Host, Port: v.Port, Priority: v.Priority, Weight: v.Weight, TTL: v.TTL}
	switch name := NameOfKey(prefix, key); {
	case strings.HasSuffix(name, ".in-addr.arpa.") || strings.HasSuffix(name, ".ip6.arpa."):
		r.Name, r.Type = name, TypePTR
	default:
		r.Name = NameOfKey(prefix, path.Dir(key))
		r.Type = hostType(v)
	}
	return Entry{Key: key, Value: string(raw), Record: r}, v.Owner, nil
}

func hostType(v value) Type {
	addr, err := netip.ParseAddr(v.Host)
	switch {
	case err != nil:
		return TypeSRV
	case addr.Unmap().Is4():
		return TypeA
	}
	return TypeAAAA
}

// sameRecord reports whether two values serve the same answer (TTL and
// owner aside): a foreign key holding exactly what okdctl wants is left alone.
func sameRecord(a, b string) bool {
	var va, vb value
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return strings.EqualFold(dns.Fqdn(va.Host), dns.Fqdn(vb.Host)) && va.Port == vb.Port &&
		va.Priority == vb.Priority && va.Weight == vb.Weight
}
