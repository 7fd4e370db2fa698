package bastion

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Files is every file mutation okdctl makes. Writes are atomic and keep the
// previous version as a backup; identical content is never rewritten.
type Files interface {
	// ReadFile returns the content of path, or an error satisfying
	// errors.Is(err, fs.ErrNotExist) when there is none.
	ReadFile(path string) ([]byte, error)
	// WriteFile replaces path with data and mode; it reports whether anything changed.
	WriteFile(path string, data []byte, mode fs.FileMode) (bool, error)
	// Remove deletes path (keeping a backup); it reports whether it existed.
	Remove(path string) (bool, error)
	// MkdirAll creates a directory and its parents.
	MkdirAll(path string, mode fs.FileMode) error
}

// DiskFiles writes to the real file system.
type DiskFiles struct {
	// BackupDir receives the previous version of every replaced or removed
	// file, mirrored by absolute path and suffixed with a timestamp. Empty
	// keeps no backups.
	BackupDir string
	// KeepBackups is how many backups of one file are kept (default 5).
	KeepBackups int
	// Now is the clock used for backup names (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	changes int
}

var _ Files = (*DiskFiles)(nil)

// Changes counts the writes and removals made so far.
func (d *DiskFiles) Changes() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changes
}

func (d *DiskFiles) changed() {
	d.mu.Lock()
	d.changes++
	d.mu.Unlock()
}

// ReadFile implements Files.
func (d *DiskFiles) ReadFile(path string) ([]byte, error) {
	return os.ReadFile(path)
}

// MkdirAll implements Files.
func (d *DiskFiles) MkdirAll(path string, mode fs.FileMode) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil
	}
	if err := os.MkdirAll(path, mode); err != nil {
		return fmt.Errorf("failed to create directory %s: %w", path, err)
	}
	d.changed()
	return nil
}

// WriteFile implements Files: temp file in the same directory, fsync, backup
// of the old version, rename, fsync of the directory.
func (d *DiskFiles) WriteFile(path string, data []byte, mode fs.FileMode) (bool, error) {
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("failed to read %s: %w", path, err)
	}
	if exists && bytes.Equal(old, data) {
		fi, err := os.Stat(path)
		if err != nil {
			return false, fmt.Errorf("failed to stat %s: %w", path, err)
		}
		if fi.Mode().Perm() == mode.Perm() {
			return false, nil
		}
		if err := os.Chmod(path, mode.Perm()); err != nil {
			return false, fmt.Errorf("failed to set mode of %s: %w", path, err)
		}
		d.changed()
		return true, nil
	}
	dir := filepath.Dir(path)
	if err := d.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	if err := writeTemp(path, data, mode); err != nil {
		return false, err
	}
	if exists {
		if err := d.backup(path); err != nil {
			_ = os.Remove(tempName(path))
			return false, err
		}
	}
	if err := os.Rename(tempName(path), path); err != nil {
		_ = os.Remove(tempName(path))
		return false, fmt.Errorf("failed to replace %s: %w", path, err)
	}
	syncDir(dir)
	d.changed()
	return true, nil
}

func tempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".okdctl-tmp")
}

func writeTemp(path string, data []byte, mode fs.FileMode) error {
	tmp := tempName(path)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm())
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := f.Chmod(mode.Perm()); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// Remove implements Files.
func (d *DiskFiles) Remove(path string) (bool, error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := d.backup(path); err != nil {
		return false, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("failed to remove %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	d.changed()
	return true, nil
}

// backup copies path into the backup directory and prunes old backups.
func (d *DiskFiles) backup(path string) error {
	if d.BackupDir == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("failed to back up %s: %w", path, err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	base := filepath.Join(d.BackupDir, strings.TrimPrefix(abs, "/"))
	dst := base + "." + now().UTC().Format("20060102T150405.000000000Z")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("failed to back up %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("failed to back up %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("failed to back up %s: %w", path, err)
	}
	if err := writeTemp(dst, data, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("failed to back up %s: %w", path, err)
	}
	if err := os.Rename(tempName(dst), dst); err != nil {
		return fmt.Errorf("failed to back up %s: %w", path, err)
	}
	d.prune(base)
	return nil
}

func (d *DiskFiles) prune(base string) {
	keep := d.KeepBackups
	if keep <= 0 {
		keep = 5
	}
	matches, _ := filepath.Glob(base + ".*")
	sort.Strings(matches)
	for len(matches) > keep {
		os.Remove(matches[0])
		matches = matches[1:]
	}
}

// Backups lists the backups kept for path, oldest first.
func (d *DiskFiles) Backups(path string) []string {
	abs, _ := filepath.Abs(path)
	matches, _ := filepath.Glob(filepath.Join(d.BackupDir, strings.TrimPrefix(abs, "/")) + ".*")
	sort.Strings(matches)
	return matches
}
