package app

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/verify"
)

type verifyFlags struct {
	spec   specFlags
	output string
}

func newVerify() *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify -f cluster.yaml [-o text|json]",
		Short: "Check every UPI prerequisite from the bastion, whoever serves it: DNS, load balancer, web server, registry, bastion",
		Long: `verify checks what the nodes will need, whether okdctl serves it or the site
does: DNS records (A, PTR, *.apps, no stale names, SOA/NS) at the server the
nodes use, the load balancer's frontends and health, every node's ignition
against its boot line's hash, the mirror registry's TLS and auth, and the
bastion's clock and disk. One line per check (pass / FAIL / not yet) with the
fix; exit status 1 when a required check fails. The report is kept for
okdctl status.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd) },
	}
	f.spec.register(cmd, withRoot|withSandbox|withKubeconfig)
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "text or json")
	return cmd
}

func (f *verifyFlags) run(cmd *cobra.Command) error {
	if f.output != "text" && f.output != "json" {
		return fmt.Errorf("-o %q is not known: use text or json", f.output)
	}
	c, err := f.spec.load()
	if err != nil {
		return err
	}
	root, err := f.spec.rootDir()
	if err != nil {
		return err
	}
	host := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: f.spec.sandbox})
	rc, err := installer.NewRunContext(c, host, nil, installer.RunContextOptions{Phase: "verify", Kubeconfig: f.spec.kubeconfig})
	if err != nil {
		return err
	}
	rep := verify.Run(cmd.Context(), installer.VerifyInput(rc))
	if err := rep.Save(rc.StateDir()); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.output == "json" {
		err = rep.WriteJSON(out)
	} else {
		err = rep.WriteText(out)
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		var names []string
		for _, r := range rep.Results {
			if r.Status == verify.Fail && r.Required {
				names = append(names, r.Area+": "+r.Check)
			}
		}
		return fmt.Errorf("%d required check(s) failed (fixes above): %s", len(names), strings.Join(names, "; "))
	}
	return nil
}
