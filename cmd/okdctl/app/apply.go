package app

import (
	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/installer"
)

type applyFlags struct {
	specFlags
	from   string
	only   []string
	skip   []string
	force  []string
	dryRun bool
}

func newApply() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply -f cluster.yaml",
		Short: "Run the install phases in order; safe to re-run after any failure",
		Long: `Run the install phases in order. A phase that finished before, whose inputs
did not change and whose result still holds, is skipped and says so; one
whose inputs changed runs again, with the phases that consumed its output.

Phases: ` + joinPhases(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.suggesting(f.run(cmd)) },
	}
	f.register(cmd, withRoot|withSandbox|withKubeconfig|withOffline)
	cmd.Flags().StringVar(&f.from, "from", "", "start at this phase")
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "run only these phases (P[,P])")
	cmd.Flags().StringSliceVar(&f.skip, "skip", nil, "leave out these phases (P[,P])")
	cmd.Flags().StringSliceVar(&f.force, "force", nil, "run these phases even when nothing changed (P[,P])")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "show what would be done, touching nothing (as okdctl plan)")
	return cmd
}

func (f *applyFlags) run(cmd *cobra.Command) error {
	c, err := f.load()
	if err != nil {
		return err
	}
	r, err := f.runner(c, cmd.OutOrStdout(), f.dryRun)
	if err != nil {
		return err
	}
	if f.dryRun {
		return runPlan(cmd, c, r, &planFlags{applyFlags: *f, output: "text"})
	}
	opts := installer.ApplyOptions{From: f.from, Only: f.only, Skip: f.skip, Force: f.force}
	sum, err := r.Apply(cmd.Context(), opts)
	if sum != nil {
		printSummary(cmd.OutOrStdout(), sum, f.logFormat == "json")
	}
	return err
}

func joinPhases() string {
	s := ""
	for i, n := range installer.PhaseNames() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
