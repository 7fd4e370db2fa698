package day2

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/installer"
)

// BackupOptions configures a backup.
type BackupOptions struct {
	// Keep is how many backups are kept, the new one included (default DefaultKeep).
	Keep int
}

// RestoreOptions configures a restore.
type RestoreOptions struct {
	// From is the backup to restore (default: the newest).
	From string
	// Yes confirms the restore; otherwise Confirm asks.
	Yes     bool
	Confirm Confirm
}

// BastionBackupDir is where the bastion's etcd snapshots are kept.
func BastionBackupDir(rc *installer.RunContext) string { return rc.StatePath(dirBastionBackups) }

// BackupBastionEtcd saves a verified snapshot of okdctl-etcd (the DNS
// records) to <state>/backups/etcd-bastion/<time>.db and keeps the newest.
func BackupBastionEtcd(ctx context.Context, rc *installer.RunContext, o BackupOptions) (SnapshotInfo, error) {
	dir := BastionBackupDir(rc)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return SnapshotInfo{}, fmt.Errorf("failed to create %s: %w", dir, err)
	}
	endpoint := installer.DNS(rc).EtcdEndpoint()
	info, err := SaveSnapshot(ctx, endpoint, uniqueName(dir, rc.Now(), ".db"))
	if err != nil {
		return info, fmt.Errorf("%w (is %s running? okdctl apply --only dns starts it)", err, dnsrecords.EtcdServiceName)
	}
	rc.Log().Infof("saved a snapshot of %s (%s): revision %d, %d keys, %d bytes, sha256 %s",
		dnsrecords.EtcdServiceName, endpoint, info.Revision, info.Keys, info.Size, info.SHA256)
	removed, err := pruneBackups(dir, ".db", keepOr(o.Keep))
	for _, p := range removed {
		rc.Log().Infof("removed the old backup %s (keeping %d)", filepath.Base(p), keepOr(o.Keep))
	}
	return info, err
}

func keepOr(n int) int {
	if n <= 0 {
		return DefaultKeep
	}
	return n
}

// etcdMember is what the restore must match: the running unit's flags.
type etcdMember struct {
	svc                    bastion.Service
	name, peerURL, dataDir string
}

func bastionMember(rc *installer.RunContext) (etcdMember, error) {
	svc, err := installer.DNS(rc).EtcdService()
	if err != nil {
		return etcdMember{}, err
	}
	m := etcdMember{svc: svc, name: flagValue(svc.Command, "--name"),
		peerURL: flagValue(svc.Command, "--initial-advertise-peer-urls"), dataDir: flagValue(svc.Command, "--data-dir")}
	if m.name == "" || m.peerURL == "" || m.dataDir == "" {
		return m, fmt.Errorf("failed to read the member of %s from its command %q", svc.Name, strings.Join(svc.Command, " "))
	}
	return m, nil
}

func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// RestoreBastionEtcd replaces okdctl-etcd's data with a snapshot: the
// snapshot is verified and restored into a fresh directory first, then
// etcd is stopped, the directories swapped (the old data kept beside as
// <dir>.okdctl-backup-<time>), etcd started and every DNS record checked
// through CoreDNS. If etcd does not come back, the old data is put back.
func RestoreBastionEtcd(ctx context.Context, rc *installer.RunContext, o RestoreOptions) error {
	from, err := pickBastionBackup(rc, o.From)
	if err != nil {
		return err
	}
	info, err := VerifySnapshot(from)
	if err != nil {
		return err
	}
	m, err := bastionMember(rc)
	if err != nil {
		return err
	}
	old := backupDirName(m.dataDir, rc.Now())
	summary := fmt.Sprintf("restore the bastion's DNS etcd (%s) from %s (revision %d, %d keys):\n"+
		"  - %s stops: DNS answers only from CoreDNS's cache until it is back (seconds)\n"+
		"  - its data directory %s is moved aside to %s, kept\n"+
		"  - records written since that backup, for any cluster of this bastion, are gone until okdctl apply --only dns writes them again",
		dnsrecords.EtcdServiceName, from, info.Revision, info.Keys, dnsrecords.EtcdServiceName, m.dataDir, old)
	if err := confirmed(o.Yes, o.Confirm, "restore the bastion's etcd", summary); err != nil {
		return err
	}
	lock, err := installer.AcquireLock(rc.StateDir())
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := swapEtcdData(ctx, rc, m, from, old); err != nil {
		return err
	}
	return verifyRestoredDNS(ctx, rc, old)
}

func pickBastionBackup(rc *installer.RunContext, from string) (string, error) {
	if from != "" {
		return filepath.Abs(from)
	}
	return newest(BastionBackupDir(rc), ".db", "bastion etcd")
}

// backupDirName is <dir>.okdctl-backup-<time>, unique.
func backupDirName(dir string, t time.Time) string {
	base := dir + ".okdctl-backup-" + stamp(t)
	name := base
	for i := 1; exists(name); i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}

// swapEtcdData restores into a staging directory while etcd still runs,
// then swaps it in with etcd stopped; it rolls back if etcd fails to start.
func swapEtcdData(ctx context.Context, rc *installer.RunContext, m etcdMember, from, old string) error {
	staging := m.dataDir + ".okdctl-restore-" + stamp(rc.Now())
	_ = os.RemoveAll(staging)
	if err := RestoreSnapshot(from, MemberOptions{Name: m.name, PeerURL: m.peerURL, DataDir: staging}); err != nil {
		return err
	}
	if err := ownDataDir(ctx, rc, m, staging); err != nil {
		return err
	}
	svcs := rc.Host().Services
	if err := svcs.Stop(ctx, m.svc.Name); err != nil {
		return fmt.Errorf("failed to stop %s: %w (nothing was changed; the restored data is in %s)", m.svc.Name, err, staging)
	}
	hadData := exists(m.dataDir)
	if hadData {
		if err := os.Rename(m.dataDir, old); err != nil {
			return startAgain(ctx, rc, m, fmt.Errorf("failed to move %s aside: %w", m.dataDir, err))
		}
	}
	if err := os.Rename(staging, m.dataDir); err != nil {
		return rollBack(ctx, rc, m, old, hadData, fmt.Errorf("failed to move the restored data into place: %w", err))
	}
	if err := startEtcd(ctx, rc, m); err != nil {
		_ = svcs.Stop(ctx, m.svc.Name)
		failed := m.dataDir + ".okdctl-failed-" + stamp(rc.Now())
		_ = os.Rename(m.dataDir, failed)
		return rollBack(ctx, rc, m, old, hadData, fmt.Errorf("%w (the restored data is kept in %s)", err, failed))
	}
	rc.Log().Infof("%s runs on the restored data; the previous data is kept in %s", m.svc.Name, old)
	return nil
}

// ownDataDir gives the data to the service's user on a real bastion.
func ownDataDir(ctx context.Context, rc *installer.RunContext, m etcdMember, dir string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("failed to restrict %s: %w", dir, err)
	}
	if m.svc.User == "" {
		return nil
	}
	_, err := rc.Host().Runner.Run(ctx, bastion.Cmd{Name: "chown", Args: []string{"-R", m.svc.User + ":" + m.svc.User, dir}})
	if err != nil {
		return fmt.Errorf("failed to give %s to %s: %w", dir, m.svc.User, err)
	}
	return nil
}

// rollBack puts the old data back and starts etcd on it.
func rollBack(ctx context.Context, rc *installer.RunContext, m etcdMember, old string, hadData bool, cause error) error {
	if hadData {
		if err := os.Rename(old, m.dataDir); err != nil {
			return fmt.Errorf("%w; putting the old data back failed too: %v (move %s to %s by hand, then start %s)", cause, err, old, m.dataDir, m.svc.Name)
		}
	}
	return startAgain(ctx, rc, m, cause)
}

func startAgain(ctx context.Context, rc *installer.RunContext, m etcdMember, cause error) error {
	if err := startEtcd(ctx, rc, m); err != nil {
		return fmt.Errorf("%w; %s did not start again on the old data either: %v", cause, m.svc.Name, err)
	}
	return fmt.Errorf("%w; %s runs again on its old data, nothing was restored", cause, m.svc.Name)
}

// startEtcd starts the unit and waits until etcd answers a read.
func startEtcd(ctx context.Context, rc *installer.RunContext, m etcdMember) error {
	if _, err := rc.Host().Services.Ensure(ctx, m.svc); err != nil {
		return fmt.Errorf("failed to start %s: %w", m.svc.Name, err)
	}
	endpoint := installer.DNS(rc).EtcdEndpoint()
	wait := bastion.WaitOptions{What: m.svc.Name + " to answer at " + endpoint, Timeout: 30 * time.Second,
		Interval: 200 * time.Millisecond, Log: rc.Log().Progressf}
	return bastion.Poll(ctx, wait, func(ctx context.Context) (bool, error) {
		c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: time.Second})
		if err != nil {
			return false, err
		}
		defer c.Close()
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err = c.Get(cctx, "/skydns/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		return err == nil, err
	})
}

// verifyRestoredDNS compares what etcd now holds with the spec's records
// (CoreDNS's cache cannot hide a difference there), then asks CoreDNS
// every record, retrying while its cache expires.
func verifyRestoredDNS(ctx context.Context, rc *installer.RunContext, old string) error {
	in := installer.DNSInput(rc)
	desired, err := dnsrecords.Desired(in)
	if err != nil {
		return err
	}
	endpoint := installer.DNS(rc).EtcdEndpoint()
	client, err := dnsrecords.NewClient([]string{endpoint})
	if err != nil {
		return err
	}
	defer client.Close()
	plan, err := dnsrecords.NewSyncer(in, client, []string{endpoint}).Plan(ctx, desired)
	if err != nil {
		return fmt.Errorf("the restore is done (the previous data is in %s), but reading the records back failed: %w", old, err)
	}
	if !plan.Empty() {
		return fmt.Errorf("the restore is done (the previous data is in %s), but the restored records differ from the spec (%s):\n%s\n"+
			"if the backup predates a change of the spec, run okdctl apply --only dns to write the records again",
			old, plan.Summary(), strings.Join(plan.Lines(20), "\n"))
	}
	rc.Log().Infof("etcd holds the spec's %d records", plan.Kept+len(plan.Foreign))
	return verifyAnswers(ctx, rc, old)
}

func verifyAnswers(ctx context.Context, rc *installer.RunContext, old string) error {
	checks, err := dnsrecords.AllChecks(installer.DNSInput(rc))
	if err != nil {
		return err
	}
	opts := dnsrecords.VerifyOptions{Server: installer.DNS(rc).Addr(), Timeout: time.Second, Attempts: 2}
	var rep *dnsrecords.Report
	wait := bastion.WaitOptions{What: "every DNS record to answer through " + opts.Server, Interval: 500 * time.Millisecond,
		Timeout: time.Duration(dnsrecords.DefaultCacheTTL+10) * time.Second, Log: rc.Log().Progressf}
	err = bastion.Poll(ctx, wait, func(ctx context.Context) (bool, error) {
		rep = dnsrecords.Verify(ctx, opts, checks)
		return rep.OK(), nil
	})
	if err != nil {
		return fmt.Errorf("the restore is done (the previous data is in %s), but CoreDNS does not answer as the spec says: %s\n"+
			"check the logs of %s", old, rep, dnsrecords.CoreDNSServiceName)
	}
	rc.Log().Infof("DNS verified after the restore: %s", rep)
	return nil
}
