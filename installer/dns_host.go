package installer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
)

// syncRecords makes etcd hold the record set: one transaction of the
// difference, through the dry-run gate. A dry run reads etcd when the
// bastion is this machine and etcd answers, else plans against an empty one.
func syncRecords(ctx context.Context, rc *RunContext, in dnsrecords.Input, endpoints []string) error {
	desired, err := dnsrecords.Desired(in)
	if err != nil {
		return err
	}
	s := dnsrecords.NewSyncer(in, nil, endpoints)
	if !rc.DryRun() || rc.BastionReachable() { // never dial another machine's etcd from a plan
		if s.Client, err = dnsrecords.NewClient(endpoints); err != nil {
			return err
		}
		defer s.Client.Close()
	}
	plan, err := planRecords(ctx, rc, s, desired)
	if err != nil {
		return err
	}
	if len(plan.Foreign) > 0 {
		rc.Log().Infof("%d records are already served by keys okdctl did not write; they are left alone: %s",
			len(plan.Foreign), strings.Join(plan.Foreign, ", "))
	}
	if len(plan.Conflicts) > 0 {
		return fmt.Errorf("failed to sync DNS records: %w", &dnsrecords.ConflictError{Conflicts: plan.Conflicts})
	}
	if plan.Empty() {
		rc.Log().Infof("etcd holds all %d records as wanted: nothing to write", plan.Kept+len(plan.Foreign))
		return nil
	}
	desc := fmt.Sprintf("write DNS records to etcd at %s in one transaction: %s", strings.Join(endpoints, ","), plan.Summary())
	return rc.Host().WetDetail(ctx, desc, strings.Join(plan.Lines(500), "\n"), func(ctx context.Context) error {
		res, err := s.Sync(ctx, desired)
		if err != nil {
			return etcdHint(err)
		}
		rc.Log().Infof("etcd records: %s, in %d transaction(s) (revision %d)", res.Plan.Summary(), res.Txns, res.Revision)
		return nil
	})
}

func planRecords(ctx context.Context, rc *RunContext, s *dnsrecords.Syncer, desired []dnsrecords.Entry) (*dnsrecords.Plan, error) {
	if !rc.DryRun() {
		plan, err := s.Plan(ctx, desired)
		return plan, etcdHint(err)
	}
	if s.Client == nil {
		return s.PlanFromEmpty(desired), nil
	}
	s.Retry = dnsrecords.Retry{Timeout: 2 * time.Second, Attempt: time.Second}
	plan, err := s.Plan(ctx, desired)
	if errors.Is(err, dnsrecords.ErrUnavailable) {
		rc.Log().Infof("etcd does not answer yet: the plan writes every record")
		return s.PlanFromEmpty(desired), nil
	}
	return plan, err
}

func etcdHint(err error) error {
	if errors.Is(err, dnsrecords.ErrUnavailable) {
		return fmt.Errorf("%w; see why %s does not answer (systemctl status %s, or its log under var/log/okdctl in a sandbox)",
			err, EtcdService, EtcdService)
	}
	return err
}

// ensureServiceUser creates the system user a service runs as, and its
// data directory owned by it, on a real bastion.
func ensureServiceUser(ctx context.Context, rc *RunContext, user, dir string) error {
	run := rc.Host().Runner
	if _, err := run.Run(ctx, bastion.Cmd{Name: "id", Args: []string{"-u", user}, ReadOnly: true}); err != nil {
		if _, err := run.Run(ctx, bastion.Cmd{Name: "useradd", Args: []string{"--system", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user}}); err != nil {
			return fmt.Errorf("failed to create the system user %s: %w", user, err)
		}
	}
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if _, err := run.Run(ctx, bastion.Cmd{Name: "install", Args: []string{"-d", "-o", user, "-g", user, "-m", "0700", dir}}); err != nil {
		return fmt.Errorf("failed to create %s for %s: %w", dir, user, err)
	}
	return nil
}

// reachableBy checks that a program runs for any user: an unprivileged
// service cannot start a binary under /root.
func reachableBy(bin string) error {
	fi, err := os.Stat(bin)
	if err != nil {
		return fmt.Errorf("failed to find %s: %w", bin, err)
	}
	bad := fi.Mode().Perm()&0o001 == 0
	for dir := filepath.Dir(bin); !bad && dir != "/"; dir = filepath.Dir(dir) {
		if d, err := os.Stat(dir); err != nil || d.Mode().Perm()&0o001 == 0 {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("%s cannot be run by the unprivileged user of its service: install it where every user can run it (install -m 0755 %s /usr/local/bin/)", bin, bin)
	}
	return nil
}
