package spec

import (
	"os"
	"path/filepath"
)

// sshKeyNames are the public keys ssh-keygen makes, in the order okdctl
// prefers them (ssh-keygen's own default is ed25519 since OpenSSH 9.5).
var sshKeyNames = []string{"id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub"}

// UserSSHKey is the user's public SSH key as a spec writes it
// (~/.ssh/id_ed25519.pub): the first of ed25519, ecdsa and rsa that exists.
// found is false when there is none; the path is then ed25519's, the key
// `ssh-keygen -t ed25519` makes.
func UserSSHKey() (path string, found bool) {
	home, err := os.UserHomeDir()
	for _, name := range sshKeyNames {
		if err != nil {
			break
		}
		if _, serr := os.Stat(filepath.Join(home, ".ssh", name)); serr == nil {
			return "~/.ssh/" + name, true
		}
	}
	return "~/.ssh/" + sshKeyNames[0], false
}
