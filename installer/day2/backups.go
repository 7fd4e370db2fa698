package day2

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Backup directories under the cluster's state directory.
const (
	dirBastionBackups = "backups/etcd-bastion" // <time>.db
	dirClusterBackups = "backups/etcd-cluster" // <time>/snapshot_*.db, static_kuberesources_*.tar.gz
	// DefaultKeep is how many backups of each kind are kept.
	DefaultKeep = 5
)

// stamp names a backup by its UTC time; sorting names sorts by time.
func stamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// uniqueName is dir/<stamp><ext>, with -N added when it exists already.
func uniqueName(dir string, t time.Time, ext string) string {
	base := filepath.Join(dir, stamp(t))
	name := base + ext
	for i := 1; exists(name); i++ {
		name = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
	return name
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// listBackups lists dir's backups (names ending in ext; directories when
// ext is ""), oldest first; half-written ones (.saving, .part) are not backups.
func listBackups(dir, ext string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to list the backups in %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || (ext == "") != e.IsDir() || !strings.HasSuffix(name, ext) {
			continue
		}
		out = append(out, filepath.Join(dir, name))
	}
	sort.Slice(out, func(i, j int) bool { return backupOrder(out[i], ext) < backupOrder(out[j], ext) })
	return out, nil
}

// backupOrder is a sort key putting <stamp>-N after <stamp>.
func backupOrder(path, ext string) string {
	name := strings.TrimSuffix(filepath.Base(path), ext)
	base, n, ok := strings.Cut(name, "-")
	if !ok {
		n = "0"
	}
	return fmt.Sprintf("%s-%06s", base, n)
}

// pruneBackups removes the oldest backups beyond keep; it returns the removed.
func pruneBackups(dir, ext string, keep int) ([]string, error) {
	all, err := listBackups(dir, ext)
	if err != nil || keep <= 0 || len(all) <= keep {
		return nil, err
	}
	old := all[:len(all)-keep]
	for _, p := range old {
		if err := os.RemoveAll(p); err != nil {
			return nil, fmt.Errorf("failed to remove the old backup %s: %w", p, err)
		}
	}
	return old, nil
}

// newest is the last backup of dir, or an error saying there is none.
func newest(dir, ext, what string) (string, error) {
	all, err := listBackups(dir, ext)
	if err != nil {
		return "", err
	}
	if len(all) == 0 {
		return "", fmt.Errorf("no %s backup in %s: make one first, or name one with --from", what, dir)
	}
	return all[len(all)-1], nil
}
