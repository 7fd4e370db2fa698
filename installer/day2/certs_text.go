package day2

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// Text renders the report for people: the certificates by urgency, what
// is flagged, the pending CSRs with the approver's verdict, and notes.
func (r *CertReport) Text() []byte {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tDAYS LEFT\tNOT AFTER (UTC)\tCERTIFICATE\tWHERE\tNOTE")
	for _, c := range r.Certs {
		left, until := "-", "-"
		if !c.NotAfter.IsZero() {
			left, until = fmt.Sprintf("%.1f", c.DaysLeft), c.NotAfter.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Status, left, until, c.Name, c.Where, firstLineOf(c.Note))
	}
	tw.Flush()
	b.WriteString("\n" + r.verdict() + "\n")
	if un := r.Unreachable(); len(un) > 0 {
		fmt.Fprintf(&b, "could not be checked (%d):\n", len(un))
		for _, u := range un {
			fmt.Fprintf(&b, "  - %s\n", u)
		}
	}
	r.pendingText(&b)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.Bytes()
}

// verdict is the report's one-line summary; it never contradicts a row:
// certificates that expire within the threshold but are not flagged (the
// 24 h ignition certificates by design) and certificates not read are
// named in it.
func (r *CertReport) verdict() string {
	if flagged := r.Flagged(); len(flagged) > 0 {
		var names []string
		for _, c := range flagged {
			names = append(names, c.Name)
		}
		return fmt.Sprintf("%d certificate(s) expire within %s or must not be used: %s", len(flagged), r.Warn, strings.Join(names, "; "))
	}
	if r.Checked() == 0 {
		return "no certificate could be checked"
	}
	var line string
	if len(r.Unreachable()) == 0 {
		line = fmt.Sprintf("no certificate expires within %s", r.Warn)
	} else {
		line = fmt.Sprintf("none of the %d certificate(s) read expires within %s", r.Checked(), r.Warn)
	}
	var soon []string
	for _, c := range r.Certs {
		if c.Status == CertOK && !c.NotAfter.IsZero() && c.NotAfter.Sub(r.Time) <= r.warn() {
			soon = append(soon, c.Name)
		}
	}
	if len(soon) > 0 {
		line += fmt.Sprintf(" apart from %s, short-lived by design (see its note)", strings.Join(soon, "; "))
	}
	return line
}

func (r *CertReport) pendingText(b *bytes.Buffer) {
	if !r.CSRsChecked {
		b.WriteString("\npending CSRs: not checked (the cluster was not asked or did not answer: see above)\n")
		return
	}
	if len(r.Pending) == 0 {
		b.WriteString("\nno pending CSR\n")
		return
	}
	fmt.Fprintf(b, "\n%d pending CSR(s), with the verdict of okdctl's approver (okdctl approve-csrs acts on it):\n", len(r.Pending))
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CSR\tAGE\tREQUESTER\tKIND\tNODE\tVERDICT\tREASON")
	for _, v := range r.Pending {
		verdict := "skip"
		if v.Approve {
			verdict = "approve"
		}
		kind := v.Kind
		if kind == "" {
			kind = "other"
		}
		age := r.Time.Sub(v.Created).Round(time.Second)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Name, age, v.Requester, kind, orDash(v.Node), verdict, v.Reason)
	}
	tw.Flush()
	if r.Flooding {
		b.WriteString("the approver's flood guard holds: it approves none of these until the flood is cleaned up\n")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
