package day2

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/cluster"
)

// Certificate statuses.
const (
	CertOK       = "ok"
	CertExpiring = "expiring" // within the threshold
	CertExpired  = "expired"
	CertStale    = "stale"   // ignition older than 12 h, not yet expired
	CertUnused   = "unused"  // ignition after bootstrap: no longer served
	CertUnknown  = "unknown" // could not be read
)

// DefaultWarn is the default threshold of okdctl certs.
const DefaultWarn = 30 * 24 * time.Hour

// Cert is one certificate okdctl knows about.
type Cert struct {
	Name      string    `json:"name"`
	Where     string    `json:"where"`
	Subject   string    `json:"subject,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	NotBefore time.Time `json:"notBefore,omitzero"`
	NotAfter  time.Time `json:"notAfter,omitzero"`
	DaysLeft  float64   `json:"daysLeft"`
	Status    string    `json:"status"`
	Note      string    `json:"note,omitempty"`
	// Flagged certificates make okdctl certs exit non-zero.
	Flagged bool `json:"flagged"`
}

// CertReport is okdctl certs' answer.
type CertReport struct {
	Time    time.Time         `json:"time"`
	Warn    string            `json:"warn"`
	Certs   []Cert            `json:"certificates"`
	Pending []cluster.Verdict `json:"pendingCSRs"`
	// Flooding: the approver's flood guard would approve none of the pending CSRs.
	Flooding bool `json:"flooding,omitempty"`
	// CSRsChecked is set when the cluster listed its CSRs: otherwise "no
	// pending CSR" is not known.
	CSRsChecked bool `json:"csrsChecked"`
	// Unchecked says what exists but could not be checked, and why (a
	// cluster or endpoint that did not answer); it counts as a failure
	// unless the caller allows it. The certificates that could not be read
	// are rows of status unknown (Unreachable lists both).
	Unchecked []string `json:"unchecked,omitempty"`
	// Notes say what was not looked at because it does not exist yet.
	Notes []string `json:"notes,omitempty"`
}

// warn is the threshold as a duration.
func (r *CertReport) warn() time.Duration {
	d, err := ParseWarn(r.Warn)
	if err != nil {
		return DefaultWarn
	}
	return d
}

// Unreachable lists everything that could not be checked: the cluster or
// the bastion's endpoints not asked, and each certificate not read.
func (r *CertReport) Unreachable() []string {
	out := append([]string(nil), r.Unchecked...)
	for _, c := range r.Certs {
		if c.Status == CertUnknown {
			out = append(out, fmt.Sprintf("%s at %s: %s", c.Name, c.Where, firstLineOf(c.Note)))
		}
	}
	return out
}

// Checked counts the certificates that were read.
func (r *CertReport) Checked() int {
	n := 0
	for _, c := range r.Certs {
		if c.Status != CertUnknown {
			n++
		}
	}
	return n
}

// CertsOptions configure the report.
type CertsOptions struct {
	// Warn flags certificates expiring within it (default DefaultWarn).
	Warn time.Duration
	// Timeout bounds each TLS handshake and API call (default 5 s).
	Timeout time.Duration
}

// Flagged lists the certificates that expire within the threshold (or
// ignition that must not be served any more).
func (r *CertReport) Flagged() []Cert {
	var out []Cert
	for _, c := range r.Certs {
		if c.Flagged {
			out = append(out, c)
		}
	}
	return out
}

// Certificates gathers every certificate okdctl knows of rc's cluster:
// the registry's, ignition's, the admin kubeconfig's, the API server's,
// the machine config server's and the ingress's (by TLS handshake through
// the bastion), the kubelets' (from their CSRs and their :10250), and the
// pending CSRs with the approver's verdict.
func Certificates(ctx context.Context, rc *installer.RunContext, o CertsOptions) *CertReport {
	if o.Warn <= 0 {
		o.Warn = DefaultWarn
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	g := &gather{rc: rc, o: o, now: rc.Now(), rep: &CertReport{Time: rc.Now().UTC(), Warn: days(o.Warn)}}
	g.files()
	g.ignition()
	g.served(ctx)
	g.cluster(ctx)
	g.sort()
	return g.rep
}

// gather collects one report.
type gather struct {
	rc  *installer.RunContext
	o   CertsOptions
	now time.Time
	rep *CertReport
}

func (g *gather) note(format string, args ...any) {
	g.rep.Notes = append(g.rep.Notes, fmt.Sprintf(format, args...))
}

// unchecked records something that exists but could not be checked.
func (g *gather) unchecked(format string, args ...any) {
	g.rep.Unchecked = append(g.rep.Unchecked, fmt.Sprintf(format, args...))
}

// add records a certificate with its status against the threshold.
func (g *gather) add(name, where string, c *x509.Certificate, note string) {
	left := c.NotAfter.Sub(g.now)
	cert := Cert{Name: name, Where: where, Subject: c.Subject.String(), Issuer: c.Issuer.String(),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), DaysLeft: roundDays(left), Status: CertOK, Note: note}
	switch {
	case left <= 0:
		cert.Status, cert.Flagged = CertExpired, true
	case left <= g.o.Warn:
		cert.Status, cert.Flagged = CertExpiring, true
	}
	g.rep.Certs = append(g.rep.Certs, cert)
}

// unknown records a certificate that could not be read.
func (g *gather) unknown(name, where string, err error) {
	g.rep.Certs = append(g.rep.Certs, Cert{Name: name, Where: where, Status: CertUnknown, Note: err.Error()})
}

// sort puts the flagged first, then the rest, each soonest expiry first;
// unread and unused certificates last.
func (g *gather) sort() {
	rank := func(c Cert) int {
		switch {
		case c.Flagged:
			return 0
		case c.Status == CertOK:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(g.rep.Certs, func(a, b Cert) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), a.NotAfter.Compare(b.NotAfter), cmp.Compare(a.Name, b.Name))
	})
}

// parsePEM returns the first certificate of a PEM bundle.
func parsePEM(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("no PEM certificate found")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

func roundDays(d time.Duration) float64 {
	return float64(int64(d.Hours()/24*10)) / 10
}

// days shows a duration in days when it is whole days ("30d"), else as Go does.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// ParseWarn reads a threshold such as "30d", "12h" or "1d12h".
func ParseWarn(s string) (time.Duration, error) {
	var total time.Duration
	rest := s
	if d, after, ok := strings.Cut(rest, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != d {
			return 0, fmt.Errorf("%q is not a threshold such as 30d, 12h or 1d12h", s)
		}
		total, rest = time.Duration(n)*24*time.Hour, after
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a threshold such as 30d, 12h or 1d12h", s)
		}
		total += d
	}
	if total <= 0 {
		return 0, fmt.Errorf("%q is not a threshold such as 30d, 12h or 1d12h", s)
	}
	return total, nil
}
