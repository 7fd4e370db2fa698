package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/okdctl/okdctl/installer"
)

// printSummary ends a run with a table of the phases.
func printSummary(out io.Writer, sum *installer.Summary, asJSON bool) {
	if asJSON {
		data, _ := json.Marshal(struct {
			Level    string             `json:"level"`
			Results  []installer.Result `json:"results"`
			Duration string             `json:"duration"`
		}{"summary", sum.Results, sum.Duration.Round(time.Millisecond).String()})
		fmt.Fprintf(out, "%s\n", data)
		return
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tSTATUS\tDURATION\tNOTE")
	counts := map[string]int{}
	for _, r := range sum.Results {
		counts[r.Status]++
		if r.Status == "not selected" {
			continue
		}
		d := ""
		if r.Duration > 0 {
			d = roundDur(r.Duration).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Phase, r.Status, d, r.Note)
	}
	tw.Flush()
	fmt.Fprintf(out, "\n%s in %s\n", summaryCounts(sum, counts), roundDur(sum.Duration))
}

// summaryCounts is the summary line's count of every phase of the plan:
// the categories add up to all of them (those after a failure are "not
// reached").
func summaryCounts(sum *installer.Summary, counts map[string]int) string {
	total := len(installer.PhaseNames())
	parts := []string{}
	for _, k := range []struct{ status, word string }{
		{installer.StatusDone, "done"}, {installer.StatusUnchanged, "unchanged"}, {installer.StatusSkipped, "skipped (do not apply)"},
		{installer.StatusFailed, "failed"}, {"not selected", "not selected"},
	} {
		if counts[k.status] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k.status], k.word))
		}
	}
	if rest := total - len(sum.Results); rest > 0 {
		parts = append(parts, fmt.Sprintf("%d not reached", rest))
	}
	return fmt.Sprintf("%d phases: %s", total, strings.Join(parts, ", "))
}

func roundDur(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
