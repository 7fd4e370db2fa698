package dnsrecords

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// Updates is the cluster's DNS on a site's authoritative server
// (spec.dns.external): okdctl runs no DNS service and keeps the records
// there through RFC 2136 updates signed with TSIG (see Updater).
type Updates struct {
	Host     *bastion.Host
	Log      Logger
	External External
	// Live is set when okdctl runs on the bastion: a dry run then reads the
	// server's zones; elsewhere a plan contacts no server.
	Live bool
}

// Apply sends what the server lacks and verifies every answer there, and
// that names okdctl deleted answer NXDOMAIN. changed reports an update sent.
func (d *Updates) Apply(ctx context.Context, in Input) (changed bool, err error) {
	u, err := NewUpdater(in, d.External)
	if err != nil {
		return false, err
	}
	if d.Host.DryRun && !d.Live {
		d.Host.Note(fmt.Sprintf("read the zones %s from %s by zone transfer and send what they lack as updates signed with the key %s",
			strings.Join(u.ext.zones(), " "), d.External.Server, d.External.Key))
		return false, nil
	}
	plan, err := u.Plan(ctx)
	if err != nil {
		if d.Host.DryRun {
			d.Host.Note(fmt.Sprintf("read the zones of %s (not reachable from here: %v) and send what they lack", d.External.Server, err))
			return false, nil
		}
		return false, err
	}
	if len(plan.Foreign) > 0 {
		d.Log.Infof("%d names already answer what okdctl wants from records it did not write; they are left alone: %s",
			len(plan.Foreign), strings.Join(first(plan.Foreign, 5), ", "))
	}
	if len(plan.Conflicts) > 0 {
		return false, &NameConflictError{Server: d.External.Server, Conflicts: plan.Conflicts}
	}
	var removed []string
	if !plan.Empty() {
		changed = true
		records, err := ZoneRecords(in)
		if err != nil {
			return false, err
		}
		removed = RemovedNames(&plan.Plan, records)
		desc := fmt.Sprintf("send DNS updates signed with the key %s to %s: %s", d.External.Key, d.External.Server, plan.Summary())
		err = d.Host.Wet(ctx, desc, strings.Join(plan.Lines(500), "\n"), func(ctx context.Context) error {
			res, err := u.Apply(ctx, plan)
			if errors.Is(err, errMoved) { // another writer moved a guarded name: plan again
				res, err = u.Sync(ctx)
			}
			if err != nil {
				return err
			}
			d.Log.Infof("DNS records at %s: %s, in %d update(s)", d.External.Server, res.Plan.Summary(), res.Messages)
			return nil
		})
		if err != nil {
			return changed, err
		}
	} else {
		d.Log.Infof("%s holds all %d records as wanted: nothing to send", d.External.Server, plan.Kept+len(plan.Foreign))
	}
	return changed, verifyServed(ctx, d.Host, d.Log, d.External.Server, in, removed, 60*time.Second,
		"the DNS server's logs, and that the nodes' DNS server is the one okdctl updates")
}

// Done reports whether the server holds every record as wanted and
// answers them (a plan with nothing to send).
func (d *Updates) Done(ctx context.Context, in Input) (bool, error) {
	u, err := NewUpdater(in, d.External)
	if err != nil {
		return false, err
	}
	plan, err := u.Plan(ctx)
	if err != nil || !plan.Empty() || len(plan.Conflicts) > 0 {
		return false, nil
	}
	checks, err := AllChecks(in)
	if err != nil {
		return false, err
	}
	return Verify(ctx, VerifyOptions{Server: d.External.Server, Timeout: time.Second, Attempts: 2}, checks).OK(), nil
}

// Manual is the cluster's DNS kept by hand on a site's server
// (spec.dns.manual): okdctl writes the records as BIND zone fragments and
// dnsmasq options to hand over, and only verifies what the server answers.
type Manual struct {
	Host *bastion.Host
	Log  Logger
	// Dir receives forward.zone, reverse.zone and dnsmasq.conf.
	Dir string
	// Server is the DNS server the nodes use ("IP:port").
	Server string
}

// ManualFiles are the hand-over files, by name.
func ManualFiles(in Input) (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, render := range map[string]func(Input) ([]byte, error){
		"forward.zone": RenderBINDForward, "reverse.zone": RenderBINDReverse, "dnsmasq.conf": RenderDnsmasq} {
		data, err := render(in)
		if err != nil {
			return nil, err
		}
		out[name] = data
	}
	return out, nil
}

// Apply writes the hand-over files and verifies the server's answers.
func (d *Manual) Apply(ctx context.Context, in Input) (changed bool, err error) {
	files, err := ManualFiles(in)
	if err != nil {
		return false, err
	}
	for _, name := range []string{"forward.zone", "reverse.zone", "dnsmasq.conf"} {
		c, err := d.Host.Files.WriteFile(filepath.Join(d.Dir, name), files[name], 0o644)
		if err != nil {
			return changed, err
		}
		changed = changed || c
	}
	d.Log.Infof("the records to load into the DNS server %s: %s (BIND: $INCLUDE forward.zone in the zone, reverse.zone in the reverse zone; dnsmasq: dnsmasq.conf)",
		d.Server, d.Dir)
	return changed, verifyServed(ctx, d.Host, d.Log, d.Server, in, nil, 10*time.Second,
		"that the zone fragments in "+d.Dir+" are loaded into that server, then run okdctl apply --from dns")
}

// Done reports whether the files are as wanted and the server answers them.
func (d *Manual) Done(ctx context.Context, in Input) (bool, error) {
	files, err := ManualFiles(in)
	if err != nil {
		return false, err
	}
	for name, data := range files {
		if live, err := d.Host.Files.ReadFile(filepath.Join(d.Dir, name)); err != nil || !bytes.Equal(live, data) {
			return false, nil
		}
	}
	checks, err := AllChecks(in)
	if err != nil {
		return false, err
	}
	return Verify(ctx, VerifyOptions{Server: d.Server, Timeout: time.Second, Attempts: 2}, checks).OK(), nil
}

// verifyServed asks server every record of in (and NXDOMAIN for removed),
// retrying for up to wait (secondaries and caches catch up).
func verifyServed(ctx context.Context, h *bastion.Host, log Logger, server string, in Input, removed []string, wait time.Duration, hint string) error {
	checks, err := AllChecks(in)
	if err != nil {
		return err
	}
	checks = append(checks, AbsentChecks(removed)...)
	if h.DryRun {
		h.Note(fmt.Sprintf("verify %d DNS answers through %s", len(checks), server))
		return nil
	}
	opts := VerifyOptions{Server: server}
	rep := Verify(ctx, opts, checks)
	if !rep.OK() {
		w := bastion.WaitOptions{What: "every DNS record to answer through " + server, Log: log.Progressf, Timeout: wait, Interval: time.Second}
		err := bastion.Poll(ctx, w, func(ctx context.Context) (bool, error) {
			rep = Verify(ctx, opts, checks)
			return rep.OK(), nil
		})
		if err != nil {
			return fmt.Errorf("failed to verify the DNS records: %s\ncheck %s", rep, hint)
		}
	}
	log.Infof("%s", rep)
	return nil
}
