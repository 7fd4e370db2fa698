package app

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/installer/day2"
)

func newEtcd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "etcd",
		Short: "Back up and restore etcd: the bastion's DNS etcd, or the cluster's",
		Long: `okdctl etcd backup and restore work on one of two etcds:

--bastion (the default): okdctl-etcd, which holds the DNS records CoreDNS
serves. A backup is an etcd snapshot, verified, in
<state>/backups/etcd-bastion/<time>.db; a restore stops okdctl-etcd, swaps
in a data directory restored from the snapshot (the old one kept beside),
starts it and checks every DNS answer.

--cluster: the cluster's own etcd, the way OpenShift supports it. A backup
runs /usr/local/bin/cluster-backup.sh on a master over SSH and copies the
snapshot and the static pod resources to <state>/backups/etcd-cluster/<time>/;
a restore follows the documented recovery procedure (stop etcd and the API
server on the other masters, cluster-restore.sh on the recovery master,
restart the kubelets) and prints the steps that remain.`,
	}
	cmd.AddCommand(newEtcdBackup(), newEtcdRestore())
	return cmd
}

// etcdTarget is --bastion or --cluster.
type etcdTarget struct {
	bastion, cluster bool
}

func (e *etcdTarget) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&e.bastion, "bastion", false, "the bastion's DNS etcd (okdctl-etcd), the default")
	cmd.Flags().BoolVar(&e.cluster, "cluster", false, "the cluster's etcd, through a master over SSH")
}

func (e *etcdTarget) check() error {
	if e.bastion && e.cluster {
		return errors.New("--bastion and --cluster cannot be combined: back up one etcd at a time")
	}
	return nil
}

func newEtcdBackup() *cobra.Command {
	var f specFlags
	var target etcdTarget
	var ssh sshFlags
	var keep int
	cmd := &cobra.Command{
		Use:   "backup -f cluster.yaml [--bastion | --cluster] [--keep N]",
		Short: "Save a verified etcd backup on the bastion, keeping the newest N",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := target.check(); err != nil {
				return err
			}
			rc, err := f.dayTwo(cmd, "etcd")
			if err != nil {
				return err
			}
			if target.cluster {
				b, err := day2.BackupClusterEtcd(cmd.Context(), rc, day2.ClusterBackupOptions{SSH: ssh.o, Master: ssh.master, Keep: keep})
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), b.Dir)
				return nil
			}
			info, err := day2.BackupBastionEtcd(cmd.Context(), rc, day2.BackupOptions{Keep: keep})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), info.Path)
			return nil
		},
	}
	f.register(cmd, withRoot|withSandbox|withKubeconfig)
	target.register(cmd)
	ssh.register(cmd)
	cmd.Flags().IntVar(&keep, "keep", day2.DefaultKeep, "how many backups to keep, this one included")
	return cmd
}

func newEtcdRestore() *cobra.Command {
	var f specFlags
	var target etcdTarget
	var ssh sshFlags
	var from string
	var yes bool
	cmd := &cobra.Command{
		Use:   "restore -f cluster.yaml [--bastion | --cluster] [--from BACKUP] --yes",
		Short: "Restore etcd from a backup (asks first; --yes to confirm in a script)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := target.check(); err != nil {
				return err
			}
			rc, err := f.dayTwo(cmd, "etcd")
			if err != nil {
				return err
			}
			confirm := terminalConfirm(cmd)
			if target.cluster {
				next, err := day2.RestoreClusterEtcd(cmd.Context(), rc, day2.ClusterRestoreOptions{SSH: ssh.o, Master: ssh.master,
					From: from, Yes: yes, Confirm: confirm})
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), f.withFlags(next))
				return nil
			}
			return day2.RestoreBastionEtcd(cmd.Context(), rc, day2.RestoreOptions{From: from, Yes: yes, Confirm: confirm})
		},
	}
	f.register(cmd, withRoot|withSandbox|withKubeconfig)
	target.register(cmd)
	ssh.register(cmd)
	cmd.Flags().StringVar(&from, "from", "", "the backup to restore: a .db file (--bastion) or a backup directory (--cluster); default the newest")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the restore without asking")
	return cmd
}
