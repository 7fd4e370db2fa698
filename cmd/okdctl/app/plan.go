package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
)

func newPlan() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "plan -f cluster.yaml",
		Short: "Dry run: every phase's actions, file diffs and boot lines; touches nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load()
			if err != nil {
				return err
			}
			r, err := f.runner(c, cmd.OutOrStdout(), true)
			if err != nil {
				return err
			}
			opts := installer.ApplyOptions{From: f.from, Only: f.only, Skip: f.skip, Force: f.force}
			return runPlan(cmd, c, r, opts, f.logFormat == "json")
		},
	}
	f.register(cmd, withRoot|withSandbox|withOffline)
	cmd.Flags().StringVar(&f.from, "from", "", "plan from this phase")
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "plan only these phases (P[,P])")
	cmd.Flags().StringSliceVar(&f.skip, "skip", nil, "leave out these phases (P[,P])")
	cmd.Flags().StringSliceVar(&f.force, "force", nil, "plan these phases even when nothing changed (P[,P])")
	return cmd
}

// runPlan prints the defaulted spec, then what each phase would do.
func runPlan(cmd *cobra.Command, c *spec.Cluster, r *installer.Runner, opts installer.ApplyOptions, asJSON bool) error {
	out := cmd.OutOrStdout()
	var buf strings.Builder
	planLog := installer.NewLogger(installer.LoggerOptions{Out: &buf})
	r.Log = planLog
	sum, err := r.Apply(cmd.Context(), opts)
	if err != nil && sum == nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Spec *spec.Cluster      `json:"spec"`
			Plan *installer.Summary `json:"plan"`
		}{c, sum})
	}
	printSpec(out, c)
	printPlan(out, r, sum)
	return nil
}

func printSpec(out io.Writer, c *spec.Cluster) {
	data, _ := yaml.Marshal(c)
	fmt.Fprintf(out, "# The spec %s with defaults filled in:\n%s\n", c.File, data)
}

func printPlan(out io.Writer, r *installer.Runner, sum *installer.Summary) {
	counts := map[string]int{}
	for i, res := range sum.Results {
		counts[res.Status]++
		fmt.Fprintf(out, "[%d/%d] %s: %s\n      ", i+1, len(sum.Results), res.Phase, r.Describe(res.Phase))
		printOutcome(out, r, res, true)
	}
	fmt.Fprintf(out, "\nPlan: %d phases: %d would run, %d unchanged, %d skipped, %d would fail, %d not selected. Nothing was changed.\n",
		len(sum.Results), counts["planned"], counts[installer.StatusUnchanged], counts[installer.StatusSkipped],
		counts["would fail"], counts["not selected"])
}

// printOutcome prints what a dry run says of one phase: would it run and
// why, or why it would fail, then each planned action (with file diffs
// when asked). Secrets are masked.
func printOutcome(out io.Writer, r *installer.Runner, res installer.Result, diffs bool) {
	fmt.Fprint(out, planVerb(res.Status))
	switch {
	case res.Error != "":
		fmt.Fprintf(out, ": %s", strings.ReplaceAll(r.Log.Mask(res.Error), "\n", "\n      "))
	case res.Note != "":
		fmt.Fprintf(out, ": %s", r.Log.Mask(res.Note))
	}
	fmt.Fprintln(out)
	for _, p := range res.Planned {
		fmt.Fprintf(out, "      - %s\n", r.Log.Mask(p.Summary))
		if diffs && p.Diff != "" {
			for _, line := range strings.Split(r.Log.Mask(p.Diff), "\n") {
				fmt.Fprintf(out, "          %s\n", line)
			}
		}
	}
}

func planVerb(status string) string {
	switch status {
	case "planned":
		return "would run"
	case installer.StatusUnchanged:
		return "would be skipped (unchanged)"
	case installer.StatusSkipped:
		return "does not apply"
	case "would fail":
		return "WOULD FAIL"
	}
	return status
}
