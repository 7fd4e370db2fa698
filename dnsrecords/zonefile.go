package dnsrecords

import (
	"fmt"
	"net/netip"
	"strings"
)

// Hand-over files for a DNS server that okdctl does not update itself
// (spec.dns.manual): BIND zone-file fragments to $INCLUDE in the forward
// and reverse zones, and the same records as dnsmasq options. Names are
// absolute, so the fragments fit whichever zone holds them.

// RenderBINDForward is the forward zone fragment: every address and SRV
// record of the cluster and the *.apps wildcard.
func RenderBINDForward(in Input) ([]byte, error) {
	return renderBIND(in, false)
}

// RenderBINDReverse is the reverse zone fragment: every PTR record (the
// load balancer's address answers both api and api-int).
func RenderBINDReverse(in Input) ([]byte, error) {
	return renderBIND(in, true)
}

func renderBIND(in Input, reverse bool) ([]byte, error) {
	records, err := ZoneRecords(in)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	what := "forward"
	if reverse {
		what = "reverse"
	}
	fmt.Fprintf(&b, "; %s records of the OpenShift cluster %s, written by okdctl.\n", what, strings.TrimSuffix(in.Zone(), "."))
	if reverse {
		zones, err := ReverseZones(in)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "; $INCLUDE this file in the reverse zone(s) %s (names are absolute).\n", strings.Join(zones, ", "))
	} else {
		fmt.Fprintf(&b, "; $INCLUDE this file in the zone %s or a zone above it (names are absolute).\n", strings.TrimSuffix(in.Zone(), "."))
	}
	for _, r := range records {
		if (r.Type == TypePTR) == reverse {
			b.WriteString(r.String() + "\n")
		}
	}
	return []byte(b.String()), nil
}

// RenderDnsmasq is the record set as dnsmasq options (a file for
// /etc/dnsmasq.d/ or --conf-file): host-record for a name whose address
// points back to it alone, address= for the other names (address= also
// answers names below them: *.apps is address=/apps.<cluster>/), ptr-record
// for the remaining PTRs, srv-host for SRV, and local= for the cluster's
// zones, so that dnsmasq answers an unknown name there NXDOMAIN itself.
func RenderDnsmasq(in Input) ([]byte, error) {
	records, err := Records(in)
	if err != nil {
		return nil, err
	}
	ptrs := map[string][]string{} // reverse name -> targets
	for _, r := range records {
		if r.Type == TypePTR {
			ptrs[r.Name] = append(ptrs[r.Name], r.Value)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# records of the OpenShift cluster %s for dnsmasq, written by okdctl\n", strings.TrimSuffix(in.Zone(), "."))
	fmt.Fprintf(&b, "local-ttl=%d\n", in.ttl())
	zones, err := ReverseZones(in)
	if err != nil {
		return nil, err
	}
	// answered here only: an unknown name in these zones is NXDOMAIN
	for _, z := range append([]string{strings.TrimSuffix(in.Zone(), ".")}, zones...) {
		fmt.Fprintf(&b, "local=/%s/\n", z)
	}
	covered := map[string]bool{}
	for _, r := range records {
		switch r.Type {
		case TypeA, TypeAAAA:
			rev := ReverseName(netip.MustParseAddr(r.Value))
			if t := ptrs[rev]; len(t) == 1 && t[0] == r.Name {
				covered[rev] = true
				fmt.Fprintf(&b, "host-record=%s,%s\n", strings.TrimSuffix(r.Name, "."), r.Value)
			} else {
				fmt.Fprintf(&b, "address=/%s/%s\n", strings.TrimSuffix(r.Name, "."), r.Value)
			}
		case TypeSRV:
			fmt.Fprintf(&b, "srv-host=%s,%s,%d,%d,%d\n", strings.TrimSuffix(r.Name, "."), strings.TrimSuffix(r.Value, "."),
				r.Port, r.Priority, r.Weight)
		}
	}
	fmt.Fprintf(&b, "address=/apps.%s/%s\n", strings.TrimSuffix(in.Zone(), "."), netip.MustParseAddr(in.ingressIP()).Unmap())
	for _, r := range records {
		if r.Type == TypePTR && !covered[r.Name] {
			fmt.Fprintf(&b, "ptr-record=%s,%s\n", strings.TrimSuffix(r.Name, "."), strings.TrimSuffix(r.Value, "."))
		}
	}
	return []byte(b.String()), nil
}
