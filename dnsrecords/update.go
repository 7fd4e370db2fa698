package dnsrecords

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Updater keeps the cluster's records on an existing authoritative server
// equal to the spec through RFC 2136 dynamic updates signed with TSIG.
//
// Ownership: a name is okdctl's when it carries the TXT record
// Input.OwnerText. okdctl adds a name only while it is not in use at all
// (prerequisite "name not in use"), writing the marker in the same update;
// it changes or deletes a name only while the marker and the RRsets it read
// are still there (prerequisites "RRset exists (value dependent)"). Names
// without the marker are never touched: if they already answer what the
// spec wants they are left alone, else the plan reports a conflict and
// nothing is sent. The whole zones are read by TSIG-signed zone transfer,
// so the names of removed nodes are found (and deleted) even without local
// state; an unchanged spec sends no update at all.
type Updater struct {
	ext External
	in  Input
}

// NewUpdater checks the server's settings against the cluster.
func NewUpdater(in Input, ext External) (*Updater, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	ext.ReverseZones = slices.Clone(ext.ReverseZones)
	ext, err := ext.withDefaults()
	if err != nil {
		return nil, err
	}
	if !dns.IsSubDomain(ext.Zone, in.Zone()) {
		return nil, fmt.Errorf("the cluster's names (%s) are not in the external DNS zone %s: use the zone %s or one above it",
			in.Zone(), ext.Zone, in.Zone())
	}
	return &Updater{ext: ext, in: in}, nil
}

// UpdatePlan is what an update would change on the server.
type UpdatePlan struct {
	Plan
	// Serials are the zones' SOA serials as read.
	Serials map[string]uint32
	names   []nameUpdate
}

// nameUpdate is the guarded change of one owner name, sent within one
// message so that it applies whole or not at all.
type nameUpdate struct {
	zone, name string
	// notUsed: the name must not exist (a name okdctl adds); else used are
	// the RRsets (value dependent) that must be there as read.
	notUsed bool
	used    []dns.RR
	// removeSets are RRsets deleted whole (one RR per type); remove are
	// single RRs deleted; insert are added.
	removeSets, remove, insert []dns.RR
}

// UpdateResult is what an update did.
type UpdateResult struct {
	Plan *UpdatePlan
	// Messages counts the update messages sent (0 when nothing changed).
	Messages int
}

// Sync plans and sends the updates, planning again when another writer
// changed a guarded name in between.
func (u *Updater) Sync(ctx context.Context) (*UpdateResult, error) {
	for attempt := 0; ; attempt++ {
		plan, err := u.Plan(ctx)
		if err != nil {
			return nil, err
		}
		res, err := u.Apply(ctx, plan)
		if errors.Is(err, errMoved) && attempt < 3 {
			continue
		}
		return res, err
	}
}

// Plan checks that the server serves every zone and accepts the key, reads
// the zones and computes the updates. It sends no update.
func (u *Updater) Plan(ctx context.Context) (*UpdatePlan, error) {
	desired, err := u.desired()
	if err != nil {
		return nil, err
	}
	p := &UpdatePlan{Serials: map[string]uint32{}}
	current := map[string][]dns.RR{}
	for _, z := range u.ext.zones() {
		serial, err := u.checkZone(ctx, z)
		if err != nil {
			return nil, err
		}
		p.Serials[z] = serial
		if err := u.transfer(ctx, z, current); err != nil {
			return nil, err
		}
	}
	u.diff(p, desired, current)
	return p, nil
}

// desired groups the zone records by owner name; every name must fall in
// one of the server's zones.
func (u *Updater) desired() (map[string][]dns.RR, error) {
	records, err := ZoneRecords(u.in)
	if err != nil {
		return nil, err
	}
	out := map[string][]dns.RR{}
	var outside []string
	for _, r := range records {
		if u.ext.zoneOf(r.Name) == "" {
			outside = append(outside, r.Name)
			continue
		}
		rr, err := dns.NewRR(r.String())
		if err != nil {
			return nil, fmt.Errorf("failed to encode %s: %w", r, err)
		}
		out[r.Name] = append(out[r.Name], rr)
	}
	if len(outside) > 0 {
		return nil, fmt.Errorf("%d name(s) are in none of the external DNS server's zones (%s): %s; add their reverse zones to the spec (or check the forward zone)",
			len(outside), strings.Join(u.ext.zones(), " "), strings.Join(first(slices.Compact(outside), 5), ", "))
	}
	return out, nil
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(slices.Clone(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// managed are the record types okdctl writes at a name besides its marker.
var managed = []uint16{dns.TypeA, dns.TypeAAAA, dns.TypePTR, dns.TypeSRV}

func (u *Updater) diff(p *UpdatePlan, desired, current map[string][]dns.RR) {
	marker := u.marker("")
	for name, want := range desired {
		cur := current[name]
		switch {
		case ownedBy(cur, marker):
			u.change(p, name, cur, want)
		case len(cur) == 0:
			u.add(p, name, want)
		case sameValues(ofTypes(cur, managed...), want):
			p.Foreign = append(p.Foreign, name)
		default:
			p.Conflicts = append(p.Conflicts, Conflict{Key: name, Value: rrsText(cur), Want: recordOf(want[0])})
		}
	}
	for name, cur := range current {
		if _, ok := desired[name]; !ok && ownedBy(cur, marker) {
			u.remove(p, name, cur)
		}
	}
	slices.Sort(p.Foreign)
	slices.SortFunc(p.Conflicts, func(a, b Conflict) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(p.names, func(a, b nameUpdate) int { return cmp.Or(cmp.Compare(a.zone, b.zone), cmp.Compare(a.name, b.name)) })
	p.sort()
}

func (u *Updater) marker(name string) *dns.TXT {
	return &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: u.in.ttl()},
		Txt: []string{u.in.OwnerText()}}
}

func (u *Updater) add(p *UpdatePlan, name string, want []dns.RR) {
	nu := nameUpdate{zone: u.ext.zoneOf(name), name: name, notUsed: true,
		insert: append(copyRRs(want), u.marker(name))}
	for _, rr := range want {
		p.Changes = append(p.Changes, Change{Op: OpAdd, Key: name, Record: recordOf(rr)})
	}
	p.names = append(p.names, nu)
}

// change replaces every managed RRset of an owned name that differs from
// the wanted one (values or TTL).
func (u *Updater) change(p *UpdatePlan, name string, cur, want []dns.RR) {
	nu := nameUpdate{zone: u.ext.zoneOf(name), name: name, used: copyRRs(ofTypes(cur, dns.TypeTXT))}
	for _, t := range managed {
		c, w := ofTypes(cur, t), ofTypes(want, t)
		if sameRRs(c, w) {
			p.Kept += len(w)
			continue
		}
		if len(c) > 0 {
			nu.used = append(nu.used, copyRRs(c)...)
			nu.removeSets = append(nu.removeSets, copyRRs(c[:1])...)
		}
		nu.insert = append(nu.insert, copyRRs(w)...)
		p.Changes = append(p.Changes, setChanges(name, c, w)...)
	}
	if len(nu.removeSets) > 0 || len(nu.insert) > 0 {
		p.names = append(p.names, nu)
	}
}

// remove deletes the managed RRsets of an owned name no longer wanted, and
// its marker (only that TXT record).
func (u *Updater) remove(p *UpdatePlan, name string, cur []dns.RR) {
	nu := nameUpdate{zone: u.ext.zoneOf(name), name: name, used: copyRRs(ofTypes(cur, dns.TypeTXT)),
		remove: []dns.RR{u.marker(name)}}
	for _, t := range managed {
		if c := ofTypes(cur, t); len(c) > 0 {
			nu.used = append(nu.used, copyRRs(c)...)
			nu.removeSets = append(nu.removeSets, copyRRs(c[:1])...)
			p.Changes = append(p.Changes, setChanges(name, c, nil)...)
		}
	}
	p.names = append(p.names, nu)
}

// setChanges shows the replacement of RRset c by w as changes: pairs as
// "change", the rest as "add" or "delete".
func setChanges(name string, c, w []dns.RR) []Change {
	var out []Change
	for i := 0; i < max(len(c), len(w)); i++ {
		switch {
		case i >= len(c):
			out = append(out, Change{Op: OpAdd, Key: name, Record: recordOf(w[i])})
		case i >= len(w):
			out = append(out, Change{Op: OpDelete, Key: name, Record: recordOf(c[i])})
		default:
			out = append(out, Change{Op: OpChange, Key: name, Record: recordOf(w[i]), Was: recordOf(c[i])})
		}
	}
	return out
}

func ownedBy(rrs []dns.RR, marker *dns.TXT) bool {
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok && slices.Equal(t.Txt, marker.Txt) {
			return true
		}
	}
	return false
}

func ofTypes(rrs []dns.RR, types ...uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if slices.Contains(types, rr.Header().Rrtype) {
			out = append(out, rr)
		}
	}
	return out
}

// rdataKey is an RR without its TTL, lowercased, for comparing values.
func rdataKey(rr dns.RR) string {
	c := dns.Copy(rr)
	c.Header().Ttl = 0
	c.Header().Name = strings.ToLower(c.Header().Name)
	return strings.ToLower(c.String())
}

func keys(rrs []dns.RR, withTTL bool) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		k := rdataKey(rr)
		if withTTL {
			k = fmt.Sprintf("%s %d", k, rr.Header().Ttl)
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sameRRs(a, b []dns.RR) bool    { return slices.Equal(keys(a, true), keys(b, true)) }
func sameValues(a, b []dns.RR) bool { return slices.Equal(keys(a, false), keys(b, false)) }

func copyRRs(rrs []dns.RR) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
	}
	return out
}

func rrsText(rrs []dns.RR) string {
	var out []string
	for _, rr := range rrs {
		h := rr.Header()
		out = append(out, dns.TypeToString[h.Rrtype]+" "+strings.TrimPrefix(rr.String(), h.String()))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// recordOf is the Record an RR shows as in plans.
func recordOf(rr dns.RR) Record {
	h := rr.Header()
	r := Record{Name: strings.ToLower(h.Name), Type: Type(dns.TypeToString[h.Rrtype]), TTL: h.Ttl}
	switch v := rr.(type) {
	case *dns.A:
		r.Value = v.A.String()
	case *dns.AAAA:
		r.Value = v.AAAA.String()
	case *dns.PTR:
		r.Value = strings.ToLower(v.Ptr)
	case *dns.SRV:
		r.Value, r.Port, r.Priority, r.Weight = strings.ToLower(v.Target), int(v.Port), int(v.Priority), int(v.Weight)
	default:
		r.Value = strings.TrimPrefix(rr.String(), h.String())
	}
	return r
}

// NameConflictError is returned when names okdctl needs hold other
// records that okdctl did not write.
type NameConflictError struct {
	Server    string
	Conflicts []Conflict
}

func (e *NameConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d name(s) okdctl needs on %s hold records okdctl did not write (no okdctl owner TXT record); okdctl never overwrites them:",
		len(e.Conflicts), e.Server)
	for _, c := range e.Conflicts {
		fmt.Fprintf(&b, "\n  %s holds %s (okdctl wants %s %s)", c.Key, c.Value, c.Want.Type, c.Want.Value)
	}
	b.WriteString("\nremove them on the DNS server (or change the spec), then run again")
	return b.String()
}
