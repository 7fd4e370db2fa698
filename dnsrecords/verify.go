package dnsrecords

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"
)

// Check is one question and the answer it must get.
type Check struct {
	Name  string
	Type  uint16
	Rcode int
	// Want are the answers, normalised and sorted: addresses, PTR targets,
	// or "PORT TARGET" for SRV (CoreDNS rewrites priority 0 and weights).
	Want []string
}

// Checks are the questions that prove the record set is served: every
// name and type, a random name under *.apps, and a random name in the zone
// that must not exist (NXDOMAIN, not SERVFAIL).
func Checks(in Input, records []Record) []Check {
	groups := map[[2]string][]string{}
	for _, r := range records {
		k := [2]string{r.Name, string(r.Type)}
		groups[k] = append(groups[k], wantOf(r))
	}
	var out []Check
	for k, want := range groups {
		slices.Sort(want)
		out = append(out, Check{Name: k[0], Type: dns.StringToType[k[1]], Want: slices.Compact(want)})
	}
	slices.SortFunc(out, func(a, b Check) int { return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name)) })
	ingress := netip.MustParseAddr(in.ingressIP()).Unmap()
	typ := dns.TypeA
	if ingress.Is6() {
		typ = dns.TypeAAAA
	}
	return append(out,
		Check{Name: "okdctl-verify-" + randomLabel() + ".apps." + in.Zone(), Type: typ, Want: []string{ingress.String()}},
		Check{Name: "okdctl-absent-" + randomLabel() + "." + in.Zone(), Type: dns.TypeA, Rcode: dns.RcodeNameError})
}

func wantOf(r Record) string {
	if r.Type == TypeSRV {
		return fmt.Sprintf("%d %s", r.Port, strings.ToLower(dns.Fqdn(r.Value)))
	}
	return strings.ToLower(r.Value)
}

func randomLabel() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// VerifyOptions says where and how to ask.
type VerifyOptions struct {
	// Server is the DNS server, "IP:port".
	Server string
	// Timeout bounds one query's last try (default 2 s); Attempts is how
	// often a lost query is sent (default 4); Parallel is the number of
	// queries in flight (default 32).
	Timeout  time.Duration
	Attempts int
	Parallel int
}

// Problem is a check that was answered wrongly.
type Problem struct {
	Check Check
	Rcode int
	Got   []string
	Err   error
}

// Report is the outcome of a verification.
type Report struct {
	Server   string
	Checked  int
	Problems []Problem
}

// Verify asks every check in parallel and reports the wrong answers.
func Verify(ctx context.Context, o VerifyOptions, checks []Check) *Report {
	o = o.withDefaults()
	rep := &Report{Server: o.Server, Checked: len(checks)}
	var mu sync.Mutex
	jobs := make(chan Check)
	var wg sync.WaitGroup
	for range min(o.Parallel, max(len(checks), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				if p, bad := ask(ctx, o, c); bad {
					mu.Lock()
					rep.Problems = append(rep.Problems, p)
					mu.Unlock()
				}
			}
		}()
	}
	for _, c := range checks {
		jobs <- c
	}
	close(jobs)
	wg.Wait()
	slices.SortFunc(rep.Problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Check.Type, b.Check.Type), cmp.Compare(a.Check.Name, b.Check.Name))
	})
	return rep
}

func (o VerifyOptions) withDefaults() VerifyOptions {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Parallel <= 0 {
		o.Parallel = 32
	}
	return o
}

// ask sends one check's question and compares the answer.
func ask(ctx context.Context, o VerifyOptions, c Check) (Problem, bool) {
	resp, err := Exchange(ctx, o.Server, c.Name, c.Type, o.Timeout, o.Attempts)
	if err != nil {
		return Problem{Check: c, Err: err}, true
	}
	got := answers(resp, c.Type)
	if resp.Rcode != c.Rcode || !slices.Equal(got, c.Want) {
		return Problem{Check: c, Rcode: resp.Rcode, Got: got}, true
	}
	return Problem{}, false
}

// Exchange asks server one question over UDP, and over TCP when the answer
// is truncated. A lost datagram is retried with a growing wait (250 ms,
// doubling up to timeout), so one loss does not cost a whole timeout.
func Exchange(ctx context.Context, server, name string, qtype uint16, timeout time.Duration, attempts int) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	wait := min(250*time.Millisecond, timeout)
	var err error
	for i := 0; i < max(attempts, 1); i++ {
		var resp *dns.Msg
		if i == max(attempts, 1)-1 {
			wait = timeout
		}
		if resp, _, err = (&dns.Client{Net: "udp", Timeout: wait}).ExchangeContext(ctx, m, server); err == nil {
			if resp.Truncated {
				resp, _, err = (&dns.Client{Net: "tcp", Timeout: timeout}).ExchangeContext(ctx, m, server)
			}
			return resp, err
		}
		if ctx.Err() != nil {
			break
		}
		wait = min(2*wait, timeout)
	}
	return nil, err
}

// answers are the normalised, sorted answers of the asked type.
func answers(m *dns.Msg, qtype uint16) []string {
	var out []string
	for _, rr := range m.Answer {
		switch v := rr.(type) {
		case *dns.A:
			out = append(out, v.A.String())
		case *dns.AAAA:
			out = append(out, v.AAAA.String())
		case *dns.PTR:
			out = append(out, strings.ToLower(v.Ptr))
		case *dns.SRV:
			out = append(out, fmt.Sprintf("%d %s", v.Port, strings.ToLower(v.Target)))
		default:
			if rr.Header().Rrtype == qtype {
				out = append(out, rr.String())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// OK reports whether every check was answered rightly.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Err is nil when every check passed, else an error carrying the table.
func (r *Report) Err() error {
	if r.OK() {
		return nil
	}
	return errors.New(r.String())
}

// String is the report as a table of the wrong answers.
func (r *Report) String() string {
	if r.OK() {
		return fmt.Sprintf("all %d DNS checks answered rightly by %s", r.Checked, r.Server)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d DNS checks answered wrongly by %s:\n", len(r.Problems), r.Checked, r.Server)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tWANT\tGOT")
	for _, p := range r.Problems {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Check.Name, dns.TypeToString[p.Check.Type], show(p.Check.Rcode, p.Check.Want), p.got())
	}
	tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

func (p Problem) got() string {
	if p.Err != nil {
		return "error: " + p.Err.Error()
	}
	return show(p.Rcode, p.Got)
}

func show(rcode int, vals []string) string {
	switch {
	case rcode != dns.RcodeSuccess:
		return dns.RcodeToString[rcode]
	case len(vals) == 0:
		return "(no answer)"
	}
	return strings.Join(vals, " ")
}

// AllChecks are the questions that verify in's whole record set.
func AllChecks(in Input) ([]Check, error) {
	records, err := Records(in)
	if err != nil {
		return nil, err
	}
	return Checks(in, records), nil
}

// AbsentChecks ask that each name (a removed node, a removed reverse name)
// answer NXDOMAIN: no stale record is served.
func AbsentChecks(names []string) []Check {
	out := make([]Check, 0, len(names))
	for _, n := range names {
		typ := dns.TypeA
		if strings.HasSuffix(n, ".arpa.") {
			typ = dns.TypePTR
		}
		out = append(out, Check{Name: dns.Fqdn(strings.ToLower(n)), Type: typ, Rcode: dns.RcodeNameError})
	}
	return out
}

// RemovedNames are the names a plan deletes records of and that no record
// of the desired set has any more: after the sync they must answer
// NXDOMAIN (see AbsentChecks). A wildcard name is left out.
func RemovedNames(p *Plan, desired []Record) []string {
	keep := map[string]bool{}
	for _, r := range desired {
		keep[strings.ToLower(r.Name)] = true
	}
	var out []string
	for _, c := range p.Changes {
		n := strings.ToLower(c.Record.Name)
		if c.Op == OpDelete && !keep[n] && !strings.HasPrefix(n, "*.") {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
