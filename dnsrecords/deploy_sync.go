package dnsrecords

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// syncRecords makes etcd hold the record set: one transaction of the
// difference, through the dry-run gate. A dry run reads etcd when the
// bastion is this machine and etcd answers, else plans against an empty one.
func (d *Deployment) syncRecords(ctx context.Context, in Input) error {
	endpoints := d.Server().Endpoints
	desired, err := Desired(in)
	if err != nil {
		return err
	}
	s := NewSyncer(in, nil, endpoints)
	if !d.Host.DryRun || d.Live { // never dial another machine's etcd from a plan
		if s.Client, err = NewClient(endpoints); err != nil {
			return err
		}
		defer s.Client.Close()
	}
	plan, err := d.planRecords(ctx, s, desired)
	if err != nil {
		return err
	}
	if len(plan.Foreign) > 0 {
		d.Log.Infof("%d records are already served by keys okdctl did not write; they are left alone: %s",
			len(plan.Foreign), strings.Join(plan.Foreign, ", "))
	}
	if len(plan.Conflicts) > 0 {
		return fmt.Errorf("failed to sync DNS records: %w", &ConflictError{Conflicts: plan.Conflicts})
	}
	if plan.Empty() {
		d.Log.Infof("etcd holds all %d records as wanted: nothing to write", plan.Kept+len(plan.Foreign))
		return nil
	}
	desc := fmt.Sprintf("write DNS records to etcd at %s in one transaction: %s", strings.Join(endpoints, ","), plan.Summary())
	return d.Host.Wet(ctx, desc, strings.Join(plan.Lines(500), "\n"), func(ctx context.Context) error {
		res, err := s.Sync(ctx, desired)
		if err != nil {
			return etcdHint(err)
		}
		if records, err := Records(in); err == nil {
			d.removed = RemovedNames(res.Plan, records)
		}
		d.Log.Infof("etcd records: %s, in %d transaction(s) (revision %d)", res.Plan.Summary(), res.Txns, res.Revision)
		return nil
	})
}

func (d *Deployment) planRecords(ctx context.Context, s *Syncer, desired []Entry) (*Plan, error) {
	if !d.Host.DryRun {
		plan, err := s.Plan(ctx, desired)
		return plan, etcdHint(err)
	}
	if s.Client == nil {
		return s.PlanFromEmpty(desired), nil
	}
	s.Retry = Retry{Timeout: 2 * time.Second, Attempt: time.Second}
	plan, err := s.Plan(ctx, desired)
	if errors.Is(err, ErrUnavailable) {
		d.Log.Infof("etcd does not answer yet: the plan writes every record")
		return s.PlanFromEmpty(desired), nil
	}
	return plan, err
}

func etcdHint(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%w; see why %s does not answer (systemctl status %s, or its log under var/log/okdctl in a sandbox)",
			err, EtcdServiceName, EtcdServiceName)
	}
	return err
}
