package installer

import (
	"context"
	"fmt"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords/etcdserve"
)

// takeOverEtcd makes okdctl-etcd's data a member okdctl serve etcd opens.
// An okdctl-etcd that ran an older etcd (Debian's 3.4, whose WAL etcd 3.7
// cannot replay) is stopped and its records restored into a fresh member,
// the old directory kept beside it; this happens once. A member okdctl
// already serves, or none at all, is left alone.
func takeOverEtcd(ctx context.Context, rc *RunContext, svc bastion.Service) error {
	dir := etcdDataDir(rc)
	if !etcdserve.HasData(dir) || (rc.DryRun() && !rc.BastionReachable()) {
		return nil
	}
	endpoint := etcdURL(rc, rc.Spec().Bastion.Ports.Etcd)
	if v, err := etcdserve.RunningVersion(ctx, endpoint); err == nil {
		if etcdserve.Serves(v) {
			return nil
		}
		if rc.DryRun() {
			rc.Host().Note(fmt.Sprintf("stop %s (etcd %s) and restore its records into a member okdctl serves, keeping the old data", EtcdService, v))
			return nil
		}
		rc.Log().Infof("%s runs etcd %s: okdctl takes it over, with its records", EtcdService, v)
		if err := rc.Host().Services.Stop(ctx, EtcdService); err != nil {
			return fmt.Errorf("failed to stop the old %s: %w", EtcdService, err)
		}
	} else if running, _ := rc.Host().Services.Running(ctx, EtcdService); running {
		return nil // running but not answering yet: nothing to tell from here
	}
	legacy, err := etcdserve.Legacy(dir)
	if err != nil || !legacy {
		return err
	}
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("restore the records of the older etcd's data in %s into a member okdctl serves, keeping the old data", dir))
		return nil
	}
	peer := etcdURL(rc, rc.Spec().Bastion.Ports.EtcdPeer)
	kept, err := etcdserve.RestoreLegacy(etcdserve.Member{Name: "okdctl", DataDir: dir, PeerURL: peer}, rc.Now())
	if err != nil {
		return err
	}
	rc.Changed()
	rc.Log().Infof("restored the records of the older etcd into %s; its data is kept in %s", dir, kept)
	if svc.User == "" {
		return nil
	}
	_, err = rc.Host().Runner.Run(ctx, bastion.Cmd{Name: "chown", Args: []string{"-R", svc.User + ":" + svc.User, dir}})
	return err
}
