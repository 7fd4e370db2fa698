package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
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
		Use:   "status -f cluster.yaml [--root DIR] [-o text|json]",
		Short: "Each phase: done / failed / pending, when, how long, its services' health, and what is next",
		Long: `status reads okdctl's state file and, next to each phase, asks whether the
bastion services that phase started still run (systemd units; with --root,
the sandbox's processes under DIR). When the state says done but a service
is not running (after okdctl down, a reboot, a crash), it says that state
and reality differ and what brings them together again. The commands it
suggests carry the -f and --root of the run (and --sandbox when that run
used it).`,
		Example: `  okdctl status -f cluster.yaml
  okdctl status -f examples/sandbox.yaml --root .demo -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("-o %q is not known: use text or json", output)
			}
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
			f.sandbox = f.sandbox || st.Sandbox
			rep := statusReport{State: st}
			if svcs, why := healthChecker(root); svcs != nil {
				rep.Services = installer.CheckServices(cmd.Context(), &c.Spec, svcs)
			} else {
				rep.NotChecked = why
			}
			rep.Differences = differences(st, rep.Services)
			if output == "json" || f.logFormat == "json" {
				rep.LastVerify, rep.LastVerifyError = lastVerify(dir)
				enc := json.NewEncoder(cmd.OutOrStdout())
				if output == "json" {
					enc.SetIndent("", "  ") // --log-format json: one line
				}
				return enc.Encode(rep)
			}
			printStatus(cmd.OutOrStdout(), &f, rep, dir)
			return nil
		},
	}
	f.register(cmd, withRoot)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

// statusReport is what status shows: the state, the services' health and
// where the two disagree.
type statusReport struct {
	*installer.State
	Services []installer.ServiceHealth `json:"services,omitempty"`
	// NotChecked says why the services' health was not asked.
	NotChecked  string   `json:"servicesNotChecked,omitempty"`
	Differences []string `json:"differences,omitempty"`
	// LastVerify is the last `okdctl verify` (null when it never ran).
	LastVerify      *lastVerifyJSON `json:"lastVerify"`
	LastVerifyError string          `json:"lastVerifyError,omitempty"`
}

// healthChecker is how status asks whether services run: the sandbox's
// process records under --root, else systemd.
func healthChecker(root string) (bastion.Services, string) {
	if root != "" {
		return &bastion.Sandbox{Paths: bastion.Paths{Root: root}}, ""
	}
	if _, err := bastion.LookPath("systemctl"); err != nil {
		return nil, "no systemctl on this machine (run status on the bastion, or pass --root for a sandbox)"
	}
	return &bastion.Systemd{Runner: bastion.ExecRunner{}}, ""
}

// differences are the phases the state calls done whose services do not run.
func differences(st *installer.State, health []installer.ServiceHealth) []string {
	var out []string
	for _, h := range health {
		if st.Phase(h.Phase).Status == installer.StatusDone && !h.Running {
			why := "is not running"
			if h.Error != "" {
				why = "could not be asked (" + h.Error + ")"
			}
			out = append(out, fmt.Sprintf("the state says %s is done, but %s %s", h.Phase, h.Service, why))
		}
	}
	return out
}

func printStatus(out io.Writer, f *specFlags, rep statusReport, dir string) {
	st := rep.State
	services := map[string][]string{}
	for _, h := range rep.Services {
		word := "running"
		if !h.Running {
			word = "NOT RUNNING"
		}
		services[h.Phase] = append(services[h.Phase], h.Service+" "+word)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tSTATUS\tFINISHED\tDURATION\tSERVICES\tERROR")
	next := ""
	for _, name := range installer.PhaseNames() {
		ps := st.Phase(name)
		finished := ""
		if !ps.FinishedAt.IsZero() {
			finished = ps.FinishedAt.Local().Format(time.DateTime)
		}
		errLine := firstLineOf(ps.Error)
		if len(errLine) > 80 {
			errLine = errLine[:77] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, ps.Status, finished, ps.Duration, strings.Join(services[name], ", "), errLine)
		if next == "" && ps.Status != installer.StatusDone && ps.Status != installer.StatusSkipped {
			next = name
		}
	}
	tw.Flush()
	fmt.Fprintf(out, "\nstate: %s\n", installer.StateFile(dir))
	if rep.NotChecked != "" {
		fmt.Fprintf(out, "services: not checked: %s\n", rep.NotChecked)
	}
	printLastVerify(out, dir)
	switch {
	case len(rep.Differences) > 0:
		fmt.Fprintln(out, "\nstate and reality differ:")
		for _, d := range rep.Differences {
			fmt.Fprintf(out, "  - %s\n", d)
		}
		fmt.Fprintf(out, "next: %s (re-checks every finished phase and runs again those whose result no longer holds)\n", f.suggest("apply"))
	case next == "":
		fmt.Fprintln(out, "next: nothing; every phase is done")
	case st.Phase(next).Status == installer.StatusStopped:
		fmt.Fprintf(out, "next: %s (starts again what okdctl down stopped; finished phases are re-checked, not re-run)\n", f.suggest("apply"))
	case next == installer.PhasePreflight && st.Phase(next).Status == installer.StatusPending:
		fmt.Fprintf(out, "next: %s\n", f.suggest("apply"))
	default:
		fmt.Fprintf(out, "next: %s\n", f.suggest("apply", "--from", next))
	}
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
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

type lastVerifyJSON struct {
	Passed  bool   `json:"passed"`
	Summary string `json:"summary"`
	*verify.Report
}

// lastVerify is the last saved verify report for `status -o json`.
func lastVerify(dir string) (*lastVerifyJSON, string) {
	rep, err := verify.Load(dir)
	switch {
	case err != nil:
		return nil, err.Error()
	case rep == nil:
		return nil, ""
	}
	return &lastVerifyJSON{Passed: !rep.Failed(), Summary: rep.Summary(), Report: rep}, ""
}
