package bastion

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteFileAtomicWithBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := &DiskFiles{BackupDir: filepath.Join(dir, "backups"), Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	path := filepath.Join(dir, "etc", "app.cfg")

	changed, err := d.WriteFile(path, []byte("one\n"), 0o644)
	if err != nil || !changed {
		t.Fatalf("first write: changed=%v err=%v", changed, err)
	}
	changed, err = d.WriteFile(path, []byte("one\n"), 0o644)
	if err != nil || changed {
		t.Fatalf("identical write: changed=%v err=%v", changed, err)
	}
	fi, _ := os.Stat(path)
	mtime := fi.ModTime()
	if changed, _ := d.WriteFile(path, []byte("two\n"), 0o644); !changed {
		t.Fatal("a new content was not written")
	}
	backups := d.Backups(path)
	if len(backups) != 1 {
		t.Fatalf("want 1 backup, got %v", backups)
	}
	if data, _ := os.ReadFile(backups[0]); string(data) != "one\n" {
		t.Errorf("backup holds %q", data)
	}
	if _, err := os.Stat(tempName(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the temporary file was left behind")
	}
	_ = mtime
	if d.Changes() != 3 { // the directory, then two writes
		t.Errorf("changes = %d, want 3", d.Changes())
	}
}

func TestWriteFileModes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := &DiskFiles{}
	path := filepath.Join(dir, "secret")
	if _, err := d.WriteFile(path, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	changed, _ := d.WriteFile(path, []byte("s3cret"), 0o640)
	if fi, _ := os.Stat(path); !changed || fi.Mode().Perm() != 0o640 {
		t.Errorf("a mode change alone was not applied: changed=%v mode=%v", changed, fi.Mode().Perm())
	}
}

func TestBackupsArePruned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := 0
	d := &DiskFiles{BackupDir: filepath.Join(dir, "b"), KeepBackups: 3,
		Now: func() time.Time { n++; return time.Unix(int64(n), 0) }}
	path := filepath.Join(dir, "f")
	for i := 0; i < 6; i++ {
		if _, err := d.WriteFile(path, []byte{byte('a' + i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := d.Backups(path)
	if len(b) != 3 {
		t.Fatalf("kept %d backups, want 3", len(b))
	}
	if data, _ := os.ReadFile(b[2]); string(data) != "e" {
		t.Errorf("newest backup holds %q, want e", data)
	}
}

func TestRemoveKeepsBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := &DiskFiles{BackupDir: filepath.Join(dir, "b")}
	path := filepath.Join(dir, "f")
	d.WriteFile(path, []byte("x"), 0o644)
	if ok, err := d.Remove(path); !ok || err != nil {
		t.Fatalf("remove: %v %v", ok, err)
	}
	if ok, _ := d.Remove(path); ok {
		t.Error("removing a missing file reported a change")
	}
	if len(d.Backups(path)) != 1 {
		t.Error("no backup of the removed file")
	}
}

func TestRecordingFilesDiffAndHideSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "cfg")
	os.WriteFile(path, []byte("a\nb\n"), 0o644)
	rec := &Recorder{}
	r := &RecordingFiles{Base: &DiskFiles{}, Rec: rec}
	if changed, _ := r.WriteFile(path, []byte("a\nc\n"), 0o644); !changed {
		t.Fatal("no change recorded")
	}
	if _, err := r.WriteFile(filepath.Join(dir, "key"), []byte("PRIVATE"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, _ := r.ReadFile(path); string(data) != "a\nc\n" {
		t.Errorf("a later read does not see the planned content: %q", data)
	}
	items := rec.Take()
	if len(items) != 2 || !strings.Contains(items[0].Diff, "-b") || !strings.Contains(items[0].Diff, "+c") {
		t.Fatalf("planned: %+v", items)
	}
	if strings.Contains(items[1].Diff+items[1].Summary, "PRIVATE") || !strings.Contains(items[1].Summary, "secret") {
		t.Errorf("secret content shown: %+v", items[1])
	}
	if data, _ := os.ReadFile(path); string(data) != "a\nb\n" {
		t.Error("the recording wrote to disk")
	}
	if _, err := os.Stat(filepath.Join(dir, "key")); err == nil {
		t.Error("the recording created a file")
	}
}

// TestFullDiskKeepsOldFile writes in a child process whose file-size limit
// (RLIMIT_FSIZE) is smaller than the new content, so the write fails as on
// a full disk: the old file must stay whole and no temporary file remain.
func TestFullDiskKeepsOldFile(t *testing.T) {
	if path := os.Getenv("OKDCTL_FULLDISK_FILE"); path != "" {
		signal.Ignore(syscall.SIGXFSZ)
		lim := syscall.Rlimit{Cur: 64, Max: 64}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			fmt.Println("setrlimit:", err)
			os.Exit(2)
		}
		_, err := (&DiskFiles{}).WriteFile(path, []byte(strings.Repeat("new", 1000)), 0o644)
		fmt.Println("ERR:", err)
		if err == nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte("old"), 0o644)
	cmd := exec.Command(os.Args[0], "-test.run=^TestFullDiskKeepsOldFile$")
	cmd.Env = append(os.Environ(), "OKDCTL_FULLDISK_FILE="+path)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "file too large") {
		t.Fatalf("the write did not fail as on a full disk: %v\n%s", err, out)
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("the old file was damaged: %q", data)
	}
	if _, err := os.Stat(tempName(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the temporary file was left behind")
	}
}
