package registry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// SpaceMargin is kept free beyond a payload: the registry's upload
// buffers and the filesystem's own need (1 GiB, or 10% of the payload
// when that is more).
func SpaceMargin(payload int64) int64 { return max(1<<30, payload/10) }

// DiskSpaceError says the registry's storage is too small for a payload.
type DiskSpaceError struct {
	Dir        string
	Free, Need int64 // Need includes the margin
	Payload    int64
}

func (e *DiskSpaceError) Error() string {
	return fmt.Sprintf("not enough disk space for the mirror: %s has %s free, the release needs %s (%s to copy plus a margin of %s); free %s there or give the registry's storage a bigger filesystem",
		e.Dir, humanBytes(e.Free), humanBytes(e.Need), humanBytes(e.Payload), humanBytes(e.Need-e.Payload), humanBytes(e.Need-e.Free))
}

// CheckDiskSpace fails with a *DiskSpaceError when the filesystem of dir
// (or of its nearest existing parent) has less room than payload plus
// SpaceMargin. statfs is the free-space probe (nil: the filesystem's).
func CheckDiskSpace(dir string, payload int64, statfs func(string) (int64, error)) error {
	if statfs == nil {
		statfs = FreeSpace
	}
	free, err := statfs(existingParent(dir))
	if err != nil {
		return fmt.Errorf("failed to check the free space of %s: %w", dir, err)
	}
	if need := payload + SpaceMargin(payload); free < need {
		return &DiskSpaceError{Dir: dir, Free: free, Need: need, Payload: payload}
	}
	return nil
}

// FreeSpace is what an unprivileged writer may still put on dir's filesystem.
func FreeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

func existingParent(dir string) string {
	dir = filepath.Clean(dir)
	for {
		if _, err := os.Stat(dir); err == nil || !errors.Is(err, os.ErrNotExist) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}
