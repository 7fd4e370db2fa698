package app

import (
	"encoding/json"
	"fmt"
	"io"
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
	fmt.Fprintf(out, "\n%d done, %d unchanged, %d skipped, %d failed, %d not selected in %s\n",
		counts[installer.StatusDone], counts[installer.StatusUnchanged], counts[installer.StatusSkipped],
		counts[installer.StatusFailed], counts["not selected"], roundDur(sum.Duration))
}

func roundDur(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
