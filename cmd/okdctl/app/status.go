package app

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/verify"
)

func newStatus() *cobra.Command {
	var f specFlags
	var output string
	cmd := &cobra.Command{
		Use:   "status -f cluster.yaml",
		Short: "Each phase: done / failed / pending, when, how long, and what is next",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load()
			if err != nil {
				return err
			}
			root, err := f.rootDir()
			if err != nil {
				return err
			}
			dir := bastion.Paths{Root: root}.StateDir(c.Metadata.Name)
			st, err := installer.LoadState(dir, c.Metadata.Name)
			if err != nil {
				return err
			}
			if output == "json" {
				return printStatusJSON(cmd.OutOrStdout(), st, dir)
			}
			printStatus(cmd, st, dir, f.file)
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func printStatus(cmd *cobra.Command, st *installer.State, dir, file string) {
	out := cmd.OutOrStdout()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tSTATUS\tFINISHED\tDURATION\tERROR")
	next := ""
	for _, name := range installer.PhaseNames() {
		ps := st.Phase(name)
		finished := ""
		if !ps.FinishedAt.IsZero() {
			finished = ps.FinishedAt.Local().Format(time.DateTime)
		}
		errLine := ps.Error
		if len(errLine) > 80 {
			errLine = errLine[:77] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, ps.Status, finished, ps.Duration, firstLineOf(errLine))
		if next == "" && ps.Status != installer.StatusDone && ps.Status != installer.StatusSkipped {
			next = name
		}
	}
	tw.Flush()
	fmt.Fprintf(out, "\nstate: %s\n", installer.StateFile(dir))
	printLastVerify(out, dir)
	if next == "" {
		fmt.Fprintln(out, "next: nothing; every phase is done")
	} else {
		fmt.Fprintf(out, "next: okdctl apply -f %s --from %s\n", file, next)
	}
}

func firstLineOf(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// printLastVerify shows the last `okdctl verify` (kept in the state directory).
func printLastVerify(out io.Writer, dir string) {
	rep, err := verify.Load(dir)
	switch {
	case err != nil:
		fmt.Fprintf(out, "last verify: %v\n", err)
	case rep == nil:
		fmt.Fprintln(out, "last verify: never (okdctl verify checks every prerequisite)")
	default:
		fmt.Fprintf(out, "last verify: %s: %s\n", rep.Started.Local().Format(time.DateTime), rep.Summary())
		for _, f := range rep.Failures() {
			fmt.Fprintf(out, "  FAIL %s\n", f)
		}
	}
}

// statusJSON is `status -o json`: the state file's cluster and phases, and
// the last `okdctl verify` (null when it never ran).
type statusJSON struct {
	*installer.State
	LastVerify      *lastVerifyJSON `json:"lastVerify"`
	LastVerifyError string          `json:"lastVerifyError,omitempty"`
}

type lastVerifyJSON struct {
	Passed  bool   `json:"passed"`
	Summary string `json:"summary"`
	*verify.Report
}

func printStatusJSON(out io.Writer, st *installer.State, dir string) error {
	doc := statusJSON{State: st}
	rep, err := verify.Load(dir)
	switch {
	case err != nil:
		doc.LastVerifyError = err.Error()
	case rep != nil:
		doc.LastVerify = &lastVerifyJSON{Passed: !rep.Failed(), Summary: rep.Summary(), Report: rep}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
