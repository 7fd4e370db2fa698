package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
)

func newDown() *cobra.Command {
	var f specFlags
	var purge, yes bool
	cmd := &cobra.Command{
		Use:   "down -f cluster.yaml [--root DIR] [--purge [--yes]]",
		Short: "Undo what apply did to the bastion (a sandbox run: stop its services)",
		Long: `On a real bastion, down stops and disables okdctl's units, closes the firewalld
ports and removes the SELinux port labels okdctl added, takes okdctl's CA out
of the trust store and puts the resolver back. It keeps okdctl's state (CA,
registry password), the install directory, the mirror and the backups, so
that apply converges again; --purge deletes those too (it asks, or needs
--yes). A second down changes nothing. With --root DIR it stops what a
sandbox run started under DIR.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.suggesting(runDown(cmd, &f, purge, yes)) },
	}
	f.register(cmd, withRoot)
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete okdctl's state, CA, password, install directory, mirror and backups (a real bastion)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask before --purge")
	return cmd
}

func runDown(cmd *cobra.Command, f *specFlags, purge, yes bool) error {
	if f.root == "" {
		if f.file == "" {
			return errors.New("down needs -f cluster.yaml (and --root DIR for a sandbox run)")
		}
		return downBastion(cmd, f, purge, yes)
	}
	var c *spec.Cluster
	if f.file != "" {
		var err error
		if c, err = f.load(); err != nil {
			return err
		}
	}
	root, err := f.rootDir()
	if err != nil {
		return err
	}
	sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
	stopped, err := sb.StopAll(cmd.Context())
	say := func(msg string) {
		if f.logFormat == "json" {
			printJSONEvent(cmd.OutOrStdout(), msg, nil)
		} else {
			fmt.Fprintln(cmd.OutOrStdout(), msg)
		}
	}
	for _, name := range stopped {
		say("stopped " + name)
	}
	if err != nil {
		return err
	}
	if len(stopped) == 0 {
		say("nothing runs under " + root)
	}
	if c != nil {
		marked, err := installer.MarkStopped(sb.Paths.StateDir(c.Metadata.Name), c.Metadata.Name)
		if err != nil {
			return err
		}
		if len(marked) > 0 {
			say("marked the phases " + strings.Join(marked, ", ") + " stopped: apply runs them again")
		}
		f.sandbox = true // what runs under --root is a sandbox
		say(fmt.Sprintf("the state is kept: %s shows it; %s starts the services again", f.suggest("status"), f.suggest("apply")))
	}
	return nil
}
