package day2

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/snapshot"
	etcdutl "go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
)

// SnapshotInfo describes a verified etcd snapshot file.
type SnapshotInfo struct {
	Path     string `json:"path"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"` // of the whole file
	Revision int64  `json:"revision"`
	Keys     int    `json:"keys"`
	// ServerVersion is the etcd that made it ("" before etcd 3.6).
	ServerVersion string `json:"serverVersion,omitempty"`
}

// SaveSnapshot streams a snapshot of the etcd member at endpoint into path
// (0600, written whole or not at all) and verifies it.
func SaveSnapshot(ctx context.Context, endpoint, path string) (SnapshotInfo, error) {
	cfg := clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second}
	tmp := path + ".saving"
	defer os.Remove(tmp)
	version, err := snapshot.SaveWithVersion(ctx, zap.NewNop(), cfg, tmp)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("failed to save a snapshot of etcd at %s: %w", endpoint, err)
	}
	info, err := VerifySnapshot(tmp)
	if err != nil {
		return info, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return info, fmt.Errorf("failed to save the snapshot: %w", err)
	}
	info.Path, info.ServerVersion = path, version
	return info, nil
}

// VerifySnapshot checks a snapshot file the way a restore will read it:
// the sha256 etcd appends to the database must match it, and the database
// must open and pass bbolt's consistency check.
func VerifySnapshot(path string) (SnapshotInfo, error) {
	info := SnapshotInfo{Path: path}
	data, err := os.ReadFile(path)
	if err != nil {
		return info, fmt.Errorf("failed to read the snapshot: %w", err)
	}
	info.Size = int64(len(data))
	whole := sha256.Sum256(data)
	info.SHA256 = hex.EncodeToString(whole[:])
	if err := checkTrailer(data); err != nil {
		return info, fmt.Errorf("snapshot %s is damaged: %w", path, err)
	}
	st, err := etcdutl.NewV3(zap.NewNop()).Status(path)
	if err != nil {
		return info, fmt.Errorf("snapshot %s is damaged: %w", path, err)
	}
	info.Revision, info.Keys = st.Revision, st.TotalKey
	return info, nil
}

// checkTrailer checks the sha256 of the database that etcd's snapshot
// stream appends (the file is then 32 bytes longer than a multiple of 512).
func checkTrailer(data []byte) error {
	n := len(data)
	if n%512 != sha256.Size {
		return fmt.Errorf("no sha256 trailer (size %d): not a snapshot saved from etcd, or truncated", n)
	}
	sum := sha256.Sum256(data[:n-sha256.Size])
	if !bytes.Equal(sum[:], data[n-sha256.Size:]) {
		return fmt.Errorf("its sha256 does not match its content")
	}
	return nil
}

// MemberOptions name the member a snapshot is restored for; they must be
// what the etcd that will run on the data directory is started with.
type MemberOptions struct {
	Name    string
	PeerURL string
	// DataDir must not exist, or be empty.
	DataDir string
}

// RestoreSnapshot makes a fresh single-member data directory from a
// verified snapshot (etcdutl's restore, hash checked).
func RestoreSnapshot(path string, o MemberOptions) error {
	err := etcdutl.NewV3(zap.NewNop()).Restore(etcdutl.RestoreConfig{
		SnapshotPath: path, Name: o.Name, OutputDataDir: o.DataDir,
		PeerURLs: []string{o.PeerURL}, InitialCluster: o.Name + "=" + o.PeerURL,
		InitialClusterToken: "etcd-cluster",
	})
	if err != nil {
		return fmt.Errorf("failed to restore %s into %s: %w", path, o.DataDir, err)
	}
	return nil
}
