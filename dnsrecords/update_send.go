package dnsrecords

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// maxNamesPerMessage bounds an update message (about 200 bytes a name) well
// under the 64 KiB of a DNS message over TCP.
const maxNamesPerMessage = 100

// Apply sends a plan's updates, forward zone and reverse zones, each name
// guarded by its prerequisites. It sends nothing for an empty plan or one
// with conflicts. Before the first change it sends each zone an empty
// update, so a key that may not update one of them fails before anything
// is written anywhere.
func (u *Updater) Apply(ctx context.Context, p *UpdatePlan) (*UpdateResult, error) {
	res := &UpdateResult{Plan: p}
	if len(p.Conflicts) > 0 {
		return res, &NameConflictError{Server: u.ext.Server, Conflicts: p.Conflicts}
	}
	if len(p.names) == 0 {
		return res, nil
	}
	batches := batchByZone(p.names)
	for _, b := range batches {
		if err := u.send(ctx, new(dns.Msg).SetUpdate(b[0].zone)); err != nil {
			return res, err
		}
	}
	for _, b := range batches {
		m := new(dns.Msg).SetUpdate(b[0].zone)
		for _, nu := range b {
			nu.addTo(m)
		}
		if err := u.send(ctx, m); err != nil {
			return res, err
		}
		res.Messages++
	}
	return res, nil
}

// batchByZone splits the names (sorted by zone) into messages of one zone.
func batchByZone(names []nameUpdate) [][]nameUpdate {
	var out [][]nameUpdate
	for i, nu := range names {
		if i == 0 || nu.zone != names[i-1].zone || len(out[len(out)-1]) == maxNamesPerMessage {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], nu)
	}
	return out
}

func (nu nameUpdate) addTo(m *dns.Msg) {
	if nu.notUsed {
		m.NameNotUsed([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: nu.name}}})
	}
	m.Used(copyRRs(nu.used))
	m.RemoveRRset(nu.removeSets)
	m.Remove(copyRRs(nu.remove))
	m.Insert(copyRRs(nu.insert))
}

// send signs and sends one update and explains a refusal.
func (u *Updater) send(ctx context.Context, m *dns.Msg) error {
	zone := m.Question[0].Name
	resp, err := u.exchange(ctx, m)
	if err != nil {
		return fmt.Errorf("failed to update zone %s on %s: %w", zone, u.ext.Server, err)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
		return nil
	case dns.RcodeNameError, dns.RcodeYXDomain, dns.RcodeNXRrset, dns.RcodeYXRrset:
		return fmt.Errorf("failed to update zone %s: %w (%s)", zone, errMoved, dns.RcodeToString[resp.Rcode])
	case dns.RcodeRefused:
		return fmt.Errorf("the DNS server %s refused an update of zone %s signed with the key %s: allow the key to update the zone (BIND: allow-update { key %s; }; or an update-policy granting it the cluster's names)",
			u.ext.Server, zone, u.ext.Key, strings.TrimSuffix(u.ext.Key.name(), "."))
	}
	return u.rcodeError("update zone "+zone, resp)
}

// checkZone asks the zone's SOA with a signed query: it proves the key
// and that the server is authoritative for the zone, and returns the serial.
func (u *Updater) checkZone(ctx context.Context, zone string) (uint32, error) {
	m := new(dns.Msg)
	m.SetQuestion(zone, dns.TypeSOA)
	m.RecursionDesired = false
	resp, err := u.exchange(ctx, m)
	if err != nil {
		return 0, fmt.Errorf("failed to ask %s for the SOA of zone %s: %w", u.ext.Server, zone, err)
	}
	if resp.Rcode == dns.RcodeNotAuth || resp.Rcode == dns.RcodeBadSig {
		return 0, u.rcodeError("read zone "+zone, resp)
	}
	for _, rr := range resp.Answer {
		if soa, ok := rr.(*dns.SOA); ok && resp.Authoritative && strings.EqualFold(soa.Hdr.Name, zone) {
			return soa.Serial, nil
		}
	}
	return 0, fmt.Errorf("the DNS server %s is not authoritative for zone %s (it answered %s without the zone's SOA): check the zone names of the external DNS settings",
		u.ext.Server, zone, dns.RcodeToString[resp.Rcode])
}

// transfer reads a zone by TSIG-signed AXFR into current, by owner name.
func (u *Updater) transfer(ctx context.Context, zone string, current map[string][]dns.RR) error {
	m := new(dns.Msg)
	m.SetAxfr(zone)
	m.SetTsig(u.ext.Key.name(), u.ext.Key.algorithm(), 300, time.Now().Unix())
	tr := &dns.Transfer{DialTimeout: u.ext.Timeout, ReadTimeout: u.ext.Timeout,
		TsigSecret: map[string]string{u.ext.Key.name(): u.ext.Key.Secret}}
	envs, err := tr.In(m, u.ext.Server)
	if err != nil {
		return fmt.Errorf("failed to transfer zone %s from %s: %w", zone, u.ext.Server, err)
	}
	var failed error
	for e := range envs {
		if e.Error != nil && failed == nil {
			failed = e.Error
		}
		for _, rr := range e.RR {
			name := strings.ToLower(rr.Header().Name)
			if rr.Header().Rrtype != dns.TypeSOA && u.ext.zoneOf(name) == zone {
				current[name] = append(current[name], rr)
			}
		}
	}
	if failed != nil || ctx.Err() != nil {
		return fmt.Errorf("the DNS server %s refused the zone transfer of %s to the key %s (%v): okdctl reads the zone to find the names it owns; allow it (BIND: allow-transfer { key %s; };)",
			u.ext.Server, zone, u.ext.Key, errors.Join(failed, ctx.Err()), strings.TrimSuffix(u.ext.Key.name(), "."))
	}
	return nil
}

// exchange sends a signed message over TCP; a reply whose signature fails
// is returned with its error, so that the TSIG error can be explained.
func (u *Updater) exchange(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	m.SetTsig(u.ext.Key.name(), u.ext.Key.algorithm(), 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", Timeout: u.ext.Timeout, TsigSecret: map[string]string{u.ext.Key.name(): u.ext.Key.Secret}}
	resp, _, err := c.ExchangeContext(ctx, m, u.ext.Server)
	if resp != nil && resp.Rcode == dns.RcodeNotAuth {
		return resp, nil
	}
	if errors.Is(err, dns.ErrSig) || errors.Is(err, dns.ErrTime) {
		return nil, fmt.Errorf("the server's answer fails TSIG verification with the key %s (%w): check the key's secret and algorithm", u.ext.Key, err)
	}
	return resp, err
}

// rcodeError explains a NOTAUTH (a key or zone the server does not accept).
func (u *Updater) rcodeError(what string, resp *dns.Msg) error {
	if t := resp.IsTsig(); t != nil && t.Error != 0 {
		return fmt.Errorf("the DNS server %s rejected the TSIG key %s (%s) when okdctl tried to %s: check the key's name, algorithm and secret against the server's key statement",
			u.ext.Server, u.ext.Key, dns.RcodeToString[int(t.Error)], what)
	}
	if resp.Rcode == dns.RcodeNotAuth {
		return fmt.Errorf("the DNS server %s is not authoritative for the zone okdctl tried to %s (NOTAUTH), or does not accept the key %s: check the zone names and the key",
			u.ext.Server, what, u.ext.Key)
	}
	return fmt.Errorf("the DNS server %s answered %s when okdctl tried to %s", u.ext.Server, dns.RcodeToString[resp.Rcode], what)
}
