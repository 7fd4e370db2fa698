package app

import (
	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/dnsrecords/corednsserve"
	"github.com/okdctl/okdctl/dnsrecords/etcdserve"
	"github.com/okdctl/okdctl/registry/registryserve"
)

// newServe is the hidden `okdctl serve`: the bastion's etcd, CoreDNS and
// registry built into okdctl, as the okdctl-* units (and the sandbox) run
// them. Each takes its upstream program's own flags, so it parses them
// itself; SIGTERM or SIGINT stops it cleanly.
func newServe() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "serve etcd|coredns|registry",
		Short:  "Run one of the bastion's services (used by the okdctl-* units)",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:                "etcd [etcd flags]",
		Short:              "Run the bastion's DNS etcd (etcd's own flags: --name, --data-dir, --listen-client-urls, ...)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := etcdserve.ParseArgs(args, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return etcdserve.Run(cmd.Context(), cfg)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:                "coredns -conf Corefile",
		Short:              "Run the bastion's CoreDNS (SIGUSR1 reloads the Corefile)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := corednsserve.ParseArgs(args, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return corednsserve.Run(cmd.Context(), o, cmd.OutOrStdout())
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:                "registry config.yml",
		Short:              "Run the bastion's mirror registry (the distribution registry's config.yml)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := registryserve.ParseArgs(args)
			if err != nil {
				return err
			}
			cfg, err := registryserve.Load(path)
			if err != nil {
				return err
			}
			return registryserve.Run(cmd.Context(), cfg)
		},
	})
	return cmd
}
