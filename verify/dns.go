package verify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/okdctl/okdctl/dnsrecords"
)

const areaDNS = "dns"

// dnsGroup is one line of the DNS checks: the questions it asks.
type dnsGroup struct {
	name   string
	checks []dnsrecords.Check
}

func (d *DNSInput) check(ctx context.Context) []Result {
	records, err := dnsrecords.Records(d.Records)
	if err != nil {
		return []Result{{Area: areaDNS, Check: "record set", Status: Fail, Detail: err.Error(), Fix: "fix the spec", Required: true}}
	}
	groups := d.groups(records)
	var all []dnsrecords.Check
	for _, g := range groups {
		all = append(all, g.checks...)
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	rep := dnsrecords.Verify(ctx, dnsrecords.VerifyOptions{Server: d.Server, Timeout: timeout, Attempts: 3}, all)
	wrong := map[string][]dnsrecords.Problem{}
	for _, p := range rep.Problems {
		wrong[key(p.Check)] = append(wrong[key(p.Check)], p)
	}
	var out []Result
	for _, g := range groups {
		out = append(out, d.result(g, wrong))
	}
	return append(out, d.soa(ctx, timeout))
}

func key(c dnsrecords.Check) string { return c.Name + "/" + dns.TypeToString[c.Type] }

// groups sorts the questions into the lines of the report.
func (d *DNSInput) groups(records []dnsrecords.Record) []dnsGroup {
	zone := d.Records.Zone()
	nodes := map[string]bool{}
	for _, n := range d.Records.Nodes {
		nodes[strings.ToLower(n.Name)+"."+zone] = true
	}
	checks := dnsrecords.Checks(d.Records, records)
	api, apiInt := "api."+zone, "api-int."+zone
	g := []dnsGroup{{name: "A " + api}, {name: "A " + apiInt}, {name: "A *.apps." + zone + " (a random name)"},
		{name: fmt.Sprintf("A of every node (%d)", len(d.Records.Nodes))}, {name: "A of the bastion's names"},
		{name: fmt.Sprintf("PTR of every node (%d)", len(d.Records.Nodes))}, {name: "PTR of the load balancer: api and api-int"},
		{name: "SRV etcd"}, {name: "no wildcard shadows api, api-int or a missing name (a random name in the zone is NXDOMAIN)"},
		{name: fmt.Sprintf("no record for removed nodes (%d)", len(d.Removed))}}
	for _, c := range checks {
		i := 4
		switch {
		case c.Name == api && c.Type != dns.TypePTR:
			i = 0
		case c.Name == apiInt && c.Type != dns.TypePTR:
			i = 1
		case strings.HasSuffix(c.Name, ".apps."+zone):
			i = 2
		case c.Rcode == dns.RcodeNameError:
			i = 8
		case c.Type == dns.TypePTR && len(c.Want) > 1:
			i = 6
		case c.Type == dns.TypePTR && len(c.Want) == 1 && nodes[c.Want[0]]:
			i = 5
		case c.Type == dns.TypePTR:
			i = 4
		case c.Type == dns.TypeSRV:
			i = 7
		case nodes[c.Name]:
			i = 3
		}
		g[i].checks = append(g[i].checks, c)
	}
	var removed []string
	for _, n := range d.Removed {
		removed = append(removed, strings.ToLower(n)+"."+zone)
	}
	g[9].checks = dnsrecords.AbsentChecks(removed)
	var out []dnsGroup
	for i, x := range g {
		if len(x.checks) > 0 || i == 9 {
			out = append(out, x)
		}
	}
	return out
}

func (d *DNSInput) result(g dnsGroup, wrong map[string][]dnsrecords.Problem) Result {
	r := Result{Area: areaDNS, Check: g.name, Required: true}
	var bad []string
	for _, c := range g.checks {
		for _, p := range wrong[key(c)] {
			bad = append(bad, problemText(p))
		}
	}
	switch {
	case len(bad) > 0:
		r.Status = Fail
		r.Detail = fmt.Sprintf("%d of %d wrong at %s: %s", len(bad), len(g.checks), d.Server, strings.Join(firstN(bad, 3), "; "))
		r.Fix = "make the DNS server the nodes use answer every record okdctl plan lists (okdctl apply --only dns, or the zone fragments for a manual zone)"
	case len(g.checks) == 1 && len(g.checks[0].Want) > 0:
		r.Status, r.Detail = Pass, strings.Join(g.checks[0].Want, " ")
	default:
		r.Status, r.Detail = Pass, fmt.Sprintf("%d answered rightly", len(g.checks))
	}
	return r
}

func problemText(p dnsrecords.Problem) string {
	want := strings.Join(p.Check.Want, " ")
	if p.Check.Rcode != dns.RcodeSuccess {
		want = dns.RcodeToString[p.Check.Rcode]
	}
	got := strings.Join(p.Got, " ")
	switch {
	case p.Err != nil:
		got = "error: " + p.Err.Error()
	case p.Rcode != dns.RcodeSuccess:
		got = dns.RcodeToString[p.Rcode]
	case got == "":
		got = "no answer"
	}
	return fmt.Sprintf("%s %s wants %s, got %s", p.Check.Name, dns.TypeToString[p.Check.Type], want, got)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// soa checks that the zone (or the zone above it holding the cluster's
// names) has an authoritative SOA and NS records.
func (d *DNSInput) soa(ctx context.Context, timeout time.Duration) Result {
	zone := d.Records.Zone()
	r := Result{Area: areaDNS, Check: "SOA and NS of " + zone, Required: true,
		Fix: "the server must be authoritative for the cluster's zone (or a zone above it) with SOA and NS records"}
	resp, err := dnsrecords.Exchange(ctx, d.Server, zone, dns.TypeSOA, timeout, 3)
	if err != nil {
		r.Status, r.Detail = Fail, err.Error()
		return r
	}
	var soa *dns.SOA
	for _, rr := range append(resp.Answer, resp.Ns...) {
		if s, ok := rr.(*dns.SOA); ok {
			soa = s
		}
	}
	if soa == nil || resp.Rcode != dns.RcodeSuccess {
		r.Status, r.Detail = Fail, fmt.Sprintf("%s answers %s without an SOA", dns.RcodeToString[resp.Rcode], zone)
		return r
	}
	ns, err := dnsrecords.Exchange(ctx, d.Server, soa.Hdr.Name, dns.TypeNS, timeout, 3)
	var names []string
	if err == nil {
		for _, rr := range append(ns.Answer, ns.Ns...) {
			if n, ok := rr.(*dns.NS); ok {
				names = append(names, n.Ns)
			}
		}
	}
	if len(names) == 0 {
		r.Status, r.Detail = Fail, fmt.Sprintf("zone %s has SOA serial %d but no NS record", soa.Hdr.Name, soa.Serial)
		return r
	}
	r.Status, r.Detail, r.Fix = Pass, fmt.Sprintf("zone %s, serial %d, NS %s", soa.Hdr.Name, soa.Serial, strings.Join(names, " ")), ""
	return r
}
