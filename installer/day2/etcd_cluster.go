package day2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
)

// OpenShift's own backup and restore scripts on every master, and the
// documented backup directory (openshift-docs: backing up etcd).
const (
	remoteBackupRoot = "/home/core/backup"
	backupScript     = "/usr/local/bin/cluster-backup.sh"
	restoreScript    = "/usr/local/bin/cluster-restore.sh"
	fileBackupInfo   = "backup.json"
)

// ClusterBackupOptions configures a backup of the cluster's etcd.
type ClusterBackupOptions struct {
	SSH SSHOptions
	// Master is the spec name of the master to back up from (default:
	// the first master that answers over SSH).
	Master string
	Keep   int
}

// ClusterBackup is one backup of the cluster's etcd, as kept on the bastion.
type ClusterBackup struct {
	Dir      string       `json:"-"`
	Taken    time.Time    `json:"taken"`
	Master   string       `json:"master"`
	Release  string       `json:"release"`
	Files    []BackupFile `json:"files"`
	Snapshot SnapshotInfo `json:"snapshot"`
}

// BackupFile is one file of a cluster backup.
type BackupFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// ClusterBackupDir is where the cluster's etcd backups are kept.
func ClusterBackupDir(rc *installer.RunContext) string { return rc.StatePath(dirClusterBackups) }

// BackupClusterEtcd runs cluster-backup.sh on a master, copies the etcd
// snapshot and the static pod resources to
// <state>/backups/etcd-cluster/<time>/ (0600, checked against the
// master's sha256sum, the snapshot verified), removes them from the master
// and keeps the newest backups.
func BackupClusterEtcd(ctx context.Context, rc *installer.RunContext, o ClusterBackupOptions) (*ClusterBackup, error) {
	o.SSH = o.SSH.withDefaults(rc.StateDir(), rc.Spec().SSHKeyFile)
	masters, err := mastersFor(rc, o.Master)
	if err != nil {
		return nil, err
	}
	r, err := firstAnswering(ctx, rc, masters, o.SSH)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	now := rc.Now()
	remoteDir := remoteBackupRoot + "/okdctl-" + stamp(now)
	rc.Log().Infof("running %s on %s (%s)", backupScript, r.name, r.addr)
	out, err := r.output(ctx, "sudo "+backupScript+" "+shellQuote(remoteDir))
	if err != nil {
		return nil, fmt.Errorf("failed to back up etcd on %s: %w", r.name, err)
	}
	rc.Log().Infof("%s: %s", r.name, lastLine(out))
	b, err := fetchBackup(ctx, rc, r, remoteDir, now)
	if err != nil {
		return nil, err
	}
	if _, err := r.output(ctx, "sudo rm -rf "+shellQuote(remoteDir)); err != nil {
		rc.Log().Warnf("the backup is on the bastion, but removing %s from %s failed: %v", remoteDir, r.name, err)
	}
	removed, err := pruneBackups(ClusterBackupDir(rc), "", keepOr(o.Keep))
	for _, p := range removed {
		rc.Log().Infof("removed the old backup %s (keeping %d)", filepath.Base(p), keepOr(o.Keep))
	}
	return b, err
}

// mastersFor lists the masters to use: the named one, or all in spec order.
func mastersFor(rc *installer.RunContext, name string) ([]spec.Node, error) {
	masters := rc.Spec().NodesWithRole(spec.RoleMaster)
	if name == "" {
		return masters, nil
	}
	for _, m := range masters {
		if m.Name == name {
			return []spec.Node{m}, nil
		}
	}
	return nil, fmt.Errorf("%q is not a master of the spec: pass one of %s", name, strings.Join(nodeNamesOf(masters), ", "))
}

func nodeNamesOf(nodes []spec.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

// firstAnswering logs in to the first master that lets okdctl in.
func firstAnswering(ctx context.Context, rc *installer.RunContext, masters []spec.Node, o SSHOptions) (*remote, error) {
	var errs []error
	for _, m := range masters {
		r, err := dialSSH(ctx, m.Name, m.IP, o, rc.Log().Infof)
		if err == nil {
			return r, nil
		}
		rc.Log().Warnf("%v", err)
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("failed to log in to any master: %w", errors.Join(errs...))
}

// fetchBackup copies the two files cluster-backup.sh wrote in remoteDir
// into a new backup directory, made visible only once complete.
func fetchBackup(ctx context.Context, rc *installer.RunContext, r *remote, remoteDir string, now time.Time) (*ClusterBackup, error) {
	names, err := r.output(ctx, "sudo ls -1 "+shellQuote(remoteDir))
	if err != nil {
		return nil, err
	}
	snap, res, err := backupFiles(strings.Fields(names))
	if err != nil {
		return nil, fmt.Errorf("failed to find the backup on %s in %s: %w", r.name, remoteDir, err)
	}
	root := ClusterBackupDir(rc)
	final := uniqueName(root, now, "")
	partial := filepath.Join(root, "."+filepath.Base(final)+".partial")
	if err := os.MkdirAll(partial, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", partial, err)
	}
	defer os.RemoveAll(partial)
	b := &ClusterBackup{Dir: final, Taken: now.UTC(), Master: r.name, Release: rc.Spec().Release.Image}
	for _, name := range []string{snap, res} {
		sum, size, err := r.download(ctx, remoteDir+"/"+name, filepath.Join(partial, name))
		if err != nil {
			return nil, err
		}
		b.Files = append(b.Files, BackupFile{Name: name, SHA256: sum, Size: size})
		rc.Log().Infof("copied %s from %s (%d bytes, sha256 %s)", name, r.name, size, sum)
	}
	if b.Snapshot, err = VerifySnapshot(filepath.Join(partial, snap)); err != nil {
		return nil, err
	}
	b.Snapshot.Path = filepath.Join(final, snap)
	if err := writeBackupInfo(partial, b); err != nil {
		return nil, err
	}
	if err := os.Rename(partial, final); err != nil {
		return nil, fmt.Errorf("failed to keep the backup: %w", err)
	}
	rc.Log().Infof("cluster etcd backup kept in %s (snapshot revision %d, %d keys)", final, b.Snapshot.Revision, b.Snapshot.Keys)
	return b, nil
}

// backupFiles picks the snapshot and the static pod resources.
func backupFiles(names []string) (snap, res string, err error) {
	for _, n := range names {
		switch {
		case strings.HasPrefix(n, "snapshot_") && strings.HasSuffix(n, ".db"):
			if snap != "" {
				return "", "", fmt.Errorf("two snapshots (%s, %s)", snap, n)
			}
			snap = n
		case strings.HasPrefix(n, "static_kuberesources_") && strings.HasSuffix(n, ".tar.gz"):
			if res != "" {
				return "", "", fmt.Errorf("two static pod resource archives (%s, %s)", res, n)
			}
			res = n
		}
	}
	if snap == "" || res == "" {
		return "", "", fmt.Errorf("want snapshot_*.db and static_kuberesources_*.tar.gz, found %q", names)
	}
	return snap, res, nil
}

func writeBackupInfo(dir string, b *ClusterBackup) error {
	data, _ := json.MarshalIndent(b, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, fileBackupInfo), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("failed to describe the backup: %w", err)
	}
	return nil
}

// ReadClusterBackup reads a backup directory and checks every file
// against the hashes taken when it was made.
func ReadClusterBackup(dir string) (*ClusterBackup, error) {
	data, err := os.ReadFile(filepath.Join(dir, fileBackupInfo))
	if err != nil {
		return nil, fmt.Errorf("failed to read the backup %s: %w (a directory made by okdctl etcd backup --cluster)", dir, err)
	}
	b := &ClusterBackup{Dir: dir}
	if err := json.Unmarshal(data, b); err != nil {
		return nil, fmt.Errorf("failed to read the backup %s: %w", dir, err)
	}
	if len(b.Files) != 2 {
		return nil, fmt.Errorf("the backup %s lists %d files, want the snapshot and the static pod resources", dir, len(b.Files))
	}
	for _, f := range b.Files {
		sum, err := fileSHA256(filepath.Join(dir, f.Name))
		if err != nil || sum != f.SHA256 {
			return nil, fmt.Errorf("the backup %s is damaged: %s does not match the sha256 taken when it was made (%v)", dir, f.Name, err)
		}
	}
	snap := slices.IndexFunc(b.Files, func(f BackupFile) bool { return strings.HasSuffix(f.Name, ".db") })
	if snap < 0 {
		return nil, fmt.Errorf("the backup %s has no snapshot", dir)
	}
	if b.Snapshot, err = VerifySnapshot(filepath.Join(dir, b.Files[snap].Name)); err != nil {
		return nil, err
	}
	return b, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
