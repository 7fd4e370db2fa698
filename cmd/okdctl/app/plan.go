package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
)

// planFlags are plan's flags (apply --dry-run shares the output ones).
type planFlags struct {
	applyFlags
	verbose bool
	output  string
}

func newPlan() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan -f cluster.yaml [--diff | -v] [-o text|json]",
		Short: "Dry run: what every phase would do, and the boot lines; touches nothing",
		Long: `plan runs every phase as apply would, but touches nothing: reads and probes
run, every write, command and service change is only recorded.

By default it prints a summary, a few lines per phase: the files it would
create or change (size and diff stat), the DNS records to add, change or
delete, the services to start, the commands it would run; then each node's
boot line, once. --diff (or -v) adds the defaulted spec and every file's
full diff; -o json prints the whole plan for scripts.

Secrets (keys, passwords, the pull secret) are never shown; a certificate
okdctl would generate is described (subject, SANs, validity), not printed;
install-config.yaml is shown with only its pull secret redacted. Two plans
of an unchanged spec on an unchanged bastion print the same bytes.

Exit status: 0 when every selected phase would run or is already done;
1 when a phase would fail (the plan is still printed, each failing phase
marked WOULD FAIL, and the last line on stderr names them), or when no
plan could be made (a spec error).`,
		Example: `  okdctl plan -f cluster.yaml
  okdctl plan -f cluster.yaml --diff --only dns,loadbalancer
  okdctl plan -f examples/sandbox.yaml --root .demo --sandbox -o json | jq '.plan.results[].status'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load()
			if err != nil {
				return err
			}
			if err := f.checkOutput(); err != nil {
				return err
			}
			r, err := f.runner(c, cmd.OutOrStdout(), true)
			if err != nil {
				return err
			}
			return f.suggesting(runPlan(cmd, c, r, &f))
		},
	}
	f.register(cmd, withRoot|withSandbox|withOffline)
	cmd.Flags().StringVar(&f.from, "from", "", "plan from this phase")
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "plan only these phases (P[,P])")
	cmd.Flags().StringSliceVar(&f.skip, "skip", nil, "leave out these phases (P[,P])")
	cmd.Flags().StringSliceVar(&f.force, "force", nil, "plan these phases even when nothing changed (P[,P])")
	f.registerOutput(cmd)
	return cmd
}

func (f *planFlags) registerOutput(cmd *cobra.Command) {
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "show the defaulted spec and every file's full diff")
	cmd.Flags().BoolVar(&f.verbose, "diff", false, "the same as -v")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "text, or json for the whole plan")
}

func (f *planFlags) checkOutput() error {
	if f.output != "text" && f.output != "json" {
		return fmt.Errorf("-o %q is not known: use text or json", f.output)
	}
	return nil
}

// runPlan makes the plan, prints it, and fails when a phase would.
func runPlan(cmd *cobra.Command, c *spec.Cluster, r *installer.Runner, f *planFlags) error {
	out := cmd.OutOrStdout()
	var buf strings.Builder
	r.Log = installer.NewLogger(installer.LoggerOptions{Out: &buf})
	opts := installer.ApplyOptions{From: f.from, Only: f.only, Skip: f.skip, Force: f.force}
	sum, err := r.Apply(cmd.Context(), opts)
	if err != nil && sum == nil {
		return err
	}
	// a dry run's durations say how long planning took, not the phases:
	// leave them out, so that two plans compare equal
	sum.Duration = 0
	for i := range sum.Results {
		sum.Results[i].Duration = 0
	}
	boots := planBoots(c, r)
	if f.output == "json" || f.logFormat == "json" {
		if err := printPlanJSON(out, c, r, sum, boots); err != nil {
			return err
		}
	} else {
		printPlanText(out, c, r, sum, boots, f)
	}
	return wouldFail(sum)
}

// wouldFail is plan's error when a phase would fail.
func wouldFail(sum *installer.Summary) error {
	var failing []string
	for _, res := range sum.Results {
		if res.Status == "would fail" {
			failing = append(failing, res.Phase)
		}
	}
	if len(failing) == 0 {
		return nil
	}
	return fmt.Errorf("the plan has %d phase(s) that would fail: %s (marked WOULD FAIL above)", len(failing), strings.Join(failing, ", "))
}

// planBoots are the nodes' boot artifacts (with the ignition hashes once
// the ignition phase has run).
func planBoots(c *spec.Cluster, r *installer.Runner) []ignition.Boot {
	hashes, _ := installer.ReadIgnitionHashes(r.StateDir())
	return installer.BootArtifacts(c, hashes)
}

func printPlanJSON(out io.Writer, c *spec.Cluster, r *installer.Runner, sum *installer.Summary, boots []ignition.Boot) error {
	var records []ignition.Record
	for _, b := range boots {
		records = append(records, ignition.NewRecord(b))
	}
	data, err := json.MarshalIndent(struct {
		Spec *spec.Cluster      `json:"spec"`
		Plan *installer.Summary `json:"plan"`
		Boot []ignition.Record  `json:"boot"`
	}{c, sum, records}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", r.Log.Mask(string(data)))
	return err
}

func printPlanText(out io.Writer, c *spec.Cluster, r *installer.Runner, sum *installer.Summary, boots []ignition.Boot, f *planFlags) {
	if f.verbose {
		data, _ := yaml.Marshal(c)
		fmt.Fprintf(out, "# The spec %s with defaults filled in:\n%s\n", c.File, data)
	} else {
		printPlanHeader(out, c, f)
	}
	counts := map[string]int{}
	for i, res := range sum.Results {
		counts[res.Status]++
		if res.Status == "not selected" {
			fmt.Fprintf(out, "[%d/%d] %s: not selected\n", i+1, len(sum.Results), res.Phase)
			continue
		}
		fmt.Fprintf(out, "[%d/%d] %s: %s\n      ", i+1, len(sum.Results), res.Phase, r.Describe(res.Phase))
		printOutcome(out, res, f.verbose, func(s string) string { return f.withFlags(r.Log.Mask(s)) })
	}
	printPlanBoots(out, boots, f)
	fmt.Fprintf(out, "\nPlan: %d phases: %d would run, %d unchanged, %d skipped, %d would fail, %d not selected. Nothing was changed.\n",
		len(sum.Results), counts["planned"], counts[installer.StatusUnchanged], counts[installer.StatusSkipped],
		counts["would fail"], counts["not selected"])
}

// printPlanHeader names the cluster in a few lines instead of the whole
// defaulted spec (-v prints that).
func printPlanHeader(out io.Writer, c *spec.Cluster, f *planFlags) {
	s := &c.Spec
	var roles []string
	for _, role := range []string{spec.RoleBootstrap, spec.RoleMaster, spec.RoleWorker} {
		if n := len(s.NodesWithRole(role)); n > 0 {
			roles = append(roles, fmt.Sprintf("%d %s", n, role))
		}
	}
	release := s.Release.Image
	if v, err := c.ReleaseVersion(); err == nil {
		release = fmt.Sprintf("%s (%s)", s.Release.Image, v)
	}
	fmt.Fprintf(out, "Plan for %s.%s from %s\n", c.Metadata.Name, s.BaseDomain, f.file)
	fmt.Fprintf(out, "  release %s\n  nodes: %s; bastion %s; install dir %s\n", release, strings.Join(roles, ", "), s.Bastion.IP, s.InstallDir)
	fmt.Fprintf(out, "  (%s shows the defaulted spec and every diff; -o json the whole plan)\n\n", f.suggest("plan", "--diff"))
}

// printOutcome prints what a dry run says of one phase: would it run and
// why, or why it would fail, then each planned action: one line each (files
// of one directory together), or with every diff when asked. Secrets are
// masked.
func printOutcome(out io.Writer, res installer.Result, diffs bool, show func(string) string) {
	fmt.Fprint(out, planVerb(res.Status))
	switch {
	case res.Error != "":
		fmt.Fprintf(out, ": %s", strings.ReplaceAll(show(res.Error), "\n", "\n      "))
	case res.Note != "":
		fmt.Fprintf(out, ": %s", show(res.Note))
	}
	fmt.Fprintln(out)
	if !diffs {
		for _, line := range briefLines(res.Planned) {
			fmt.Fprintf(out, "      - %s\n", show(line))
		}
		return
	}
	for _, p := range res.Planned {
		fmt.Fprintf(out, "      - %s\n", show(p.Summary))
		if p.Diff != "" {
			for _, line := range strings.Split(show(p.Diff), "\n") {
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
