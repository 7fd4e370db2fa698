package etcdserve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/coreos/go-semver/semver"
	"go.etcd.io/bbolt"
	clientv3 "go.etcd.io/etcd/client/v3"
	etcdutl "go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.etcd.io/etcd/server/v3/storage/schema"
	"go.uber.org/zap"
)

// etcd upgrades its data in place only from the previous minor version;
// older data (Debian's etcd 3.4 on existing bastions) is restored instead.
var oldestInPlace = semver.Version{Major: 3, Minor: 6}

// Serves reports whether data written by an etcd of version v (as its
// status reports it) opens in place with the embedded server.
func Serves(v string) bool {
	sv, err := semver.NewVersion(v)
	if err != nil {
		return false
	}
	return !sv.LessThan(oldestInPlace)
}

// RunningVersion asks the etcd at endpoint which version it runs.
func RunningVersion(ctx context.Context, endpoint string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return "", err
	}
	defer c.Close()
	st, err := c.Status(ctx, endpoint)
	if err != nil {
		return "", err
	}
	return st.Version, nil
}

// dbPath is the backend database of a data directory.
func dbPath(dataDir string) string { return filepath.Join(dataDir, "member", "snap", "db") }

// Legacy reports whether the (stopped) member in dataDir was written by
// an etcd older than 3.5, whose WAL the embedded server cannot replay:
// etcd 3.5 writes the raft term into the database's meta bucket, 3.6 and
// later their storage version too (a few seconds after a member's first
// start, so a new member may have the term only). An empty or missing
// directory is not legacy.
func Legacy(dataDir string) (bool, error) {
	db, err := bbolt.Open(dbPath(dataDir), 0o600, &bbolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("failed to read the etcd database in %s (is an etcd still running on it?): %w", dataDir, err)
	}
	defer db.Close()
	legacy := false
	err = db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(schema.Meta.Name())
		if meta == nil {
			return fmt.Errorf("%s has no meta bucket: not an etcd database", dbPath(dataDir))
		}
		if v := schema.ReadStorageVersionFromSnapshot(tx); v != nil {
			legacy = v.LessThan(semver.Version{Major: 3, Minor: 5})
		} else {
			legacy = meta.Get(schema.MetaTermKeyName) == nil
		}
		return nil
	})
	return legacy, err
}

// Member names a single-member etcd: its name, data directory and peer URL.
type Member struct {
	Name, DataDir, PeerURL string
}

// RestoreLegacy turns the stopped legacy member m into one the embedded
// server opens, keeping every key: the old directory is moved aside to
// <dir>.etcd-legacy-<time> (kept) and its database restored into a fresh
// m.DataDir (etcdutl's offline restore of a data directory's db). It
// returns the kept directory.
func RestoreLegacy(m Member, now time.Time) (string, error) {
	if m.Name == "" || m.DataDir == "" || m.PeerURL == "" {
		return "", fmt.Errorf("failed to restore the etcd data: member %+v lacks its name, data directory or peer URL", m)
	}
	kept := fmt.Sprintf("%s.etcd-legacy-%s", filepath.Clean(m.DataDir), now.UTC().Format("20060102-150405"))
	if err := os.Rename(m.DataDir, kept); err != nil {
		return "", fmt.Errorf("failed to move the old etcd data aside: %w", err)
	}
	err := etcdutl.NewV3(zap.NewNop()).Restore(etcdutl.RestoreConfig{
		SnapshotPath: dbPath(kept), Name: m.Name, OutputDataDir: m.DataDir,
		PeerURLs: []string{m.PeerURL}, InitialCluster: m.Name + "=" + m.PeerURL,
		InitialClusterToken: "etcd-cluster", SkipHashCheck: true,
	})
	if err != nil {
		_ = os.RemoveAll(m.DataDir)
		if rerr := os.Rename(kept, m.DataDir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("the old data stays in %s: %w", kept, rerr))
		}
		return "", fmt.Errorf("failed to restore the etcd data of %s: %w", m.DataDir, err)
	}
	return kept, nil
}

// HasData reports whether dataDir holds a member's database.
func HasData(dataDir string) bool {
	_, err := os.Stat(dbPath(dataDir))
	return err == nil
}
