package day2

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDefaultKeyFile: the private half of spec.sshKeyFile when it is
// there, else the first key ssh itself would try, else id_ed25519 (the
// error then names the file and --ssh-key).
func TestDefaultKeyFile(t *testing.T) {
	home := t.TempDir()
	dotSSH := filepath.Join(home, ".ssh")
	if err := os.Mkdir(dotSSH, 0o700); err != nil {
		t.Fatal(err)
	}
	touch := func(path string) {
		t.Helper()
		if err := os.WriteFile(path, []byte("key"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	lab := filepath.Join(t.TempDir(), "lab_key.pub")
	if got, want := defaultKeyFile(home, lab), filepath.Join(dotSSH, "id_ed25519"); got != want {
		t.Errorf("no keys at all: %s, want %s", got, want)
	}
	touch(filepath.Join(dotSSH, "id_rsa"))
	if got, want := defaultKeyFile(home, lab), filepath.Join(dotSSH, "id_rsa"); got != want {
		t.Errorf("only id_rsa: %s, want %s", got, want)
	}
	touch(filepath.Join(dotSSH, "id_ecdsa"))
	if got, want := defaultKeyFile(home, ""), filepath.Join(dotSSH, "id_ecdsa"); got != want {
		t.Errorf("id_ecdsa and id_rsa: %s, want %s", got, want)
	}
	touch(lab[:len(lab)-len(".pub")])
	if got, want := defaultKeyFile(home, lab), lab[:len(lab)-len(".pub")]; got != want {
		t.Errorf("spec key's private half present: %s, want %s", got, want)
	}
}
