package dnsrecords

import (
	"context"
	"fmt"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords/etcdserve"
)

// takeOverEtcd makes okdctl-etcd's data a member okdctl serve etcd opens.
// An okdctl-etcd that ran an older etcd (Debian's 3.4, whose WAL etcd 3.7
// cannot replay) is stopped and its records restored into a fresh member,
// the old directory kept beside it; this happens once. A member okdctl
// already serves, or none at all, is left alone. It reports a change.
func (d *Deployment) takeOverEtcd(ctx context.Context, svc bastion.Service) (bool, error) {
	dir := d.EtcdDataDir()
	if !etcdserve.HasData(dir) || (d.Host.DryRun && !d.Live) {
		return false, nil
	}
	if v, err := etcdserve.RunningVersion(ctx, d.EtcdEndpoint()); err == nil {
		if etcdserve.Serves(v) {
			return false, nil
		}
		if d.Host.DryRun {
			d.Host.Note(fmt.Sprintf("stop %s (etcd %s) and restore its records into a member okdctl serves, keeping the old data", EtcdServiceName, v))
			return false, nil
		}
		d.Log.Infof("%s runs etcd %s: okdctl takes it over, with its records", EtcdServiceName, v)
		if err := d.Host.Services.Stop(ctx, EtcdServiceName); err != nil {
			return false, fmt.Errorf("failed to stop the old %s: %w", EtcdServiceName, err)
		}
	} else if running, _ := d.Host.Services.Running(ctx, EtcdServiceName); running {
		return false, nil // running but not answering yet: nothing to tell from here
	}
	legacy, err := etcdserve.Legacy(dir)
	if err != nil || !legacy {
		return false, err
	}
	if d.Host.DryRun {
		d.Host.Note(fmt.Sprintf("restore the records of the older etcd's data in %s into a member okdctl serves, keeping the old data", dir))
		return false, nil
	}
	m := etcdserve.Member{Name: "okdctl", DataDir: dir, PeerURL: d.etcdURL(d.EtcdPeerPort)}
	kept, err := etcdserve.RestoreLegacy(m, time.Now())
	if err != nil {
		return false, err
	}
	d.Log.Infof("restored the records of the older etcd into %s; its data is kept in %s", dir, kept)
	if svc.User != "" {
		if _, err := d.Host.Runner.Run(ctx, bastion.Cmd{Name: "chown", Args: []string{"-R", svc.User + ":" + svc.User, dir}}); err != nil {
			return true, err
		}
	}
	return true, nil
}
