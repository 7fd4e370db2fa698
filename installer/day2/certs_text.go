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
	if flagged := r.Flagged(); len(flagged) > 0 {
		var names []string
		for _, c := range flagged {
			names = append(names, c.Name)
		}
		fmt.Fprintf(&b, "\n%d certificate(s) expire within %s or must not be used: %s\n", len(flagged), r.Warn, strings.Join(names, "; "))
	} else {
		fmt.Fprintf(&b, "\nno certificate expires within %s\n", r.Warn)
	}
	r.pendingText(&b)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.Bytes()
}

func (r *CertReport) pendingText(b *bytes.Buffer) {
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
