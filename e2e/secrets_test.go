package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// auditSecrets checks that no known secret appears in any output, log,
// state or plan of the rehearsal, and that every secret file is 0600.
func (r *rehearsal) auditSecrets(t *testing.T) {
	t.Helper()
	state := r.stateDir()
	install := r.cluster.Spec.InstallDir
	secretFiles := []string{
		filepath.Join(state, "install-config.yaml"),
		filepath.Join(install, "auth/kubeadmin-password"),
		filepath.Join(install, "auth/kubeconfig"),
	}
	own := r.cluster.Spec.Registry.External == nil // okdctl's registry and its secrets
	if own {
		secretFiles = append(secretFiles, filepath.Join(state, "registry/password"), filepath.Join(state, "pull-secret.json"),
			filepath.Join(state, "pki/ca.key"), filepath.Join(state, "pki/registry.key"))
	}
	secrets := map[string]string{"the user's pull secret": pullSecretToken}
	for name, secret := range r.siteSecrets { // the site's TSIG secret and registry password
		secrets[name] = secret
	}
	for _, f := range secretFiles {
		fi, err := os.Stat(f)
		if err != nil {
			t.Errorf("secret file missing: %v", err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %04o, want 0600", f, fi.Mode().Perm())
		}
	}
	read := func(p string) string {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("failed to read a secret: %v", err)
		}
		return strings.TrimSpace(string(data))
	}
	secrets["the kubeadmin password"] = read(secretFiles[1])
	if own {
		secrets["the registry password"] = read(secretFiles[3])
		for name, f := range map[string]string{"okdctl's CA key": secretFiles[5], "the registry key": secretFiles[6]} {
			secrets[name] = keyBody(read(f))
		}
	}
	// everything a person or a log collector sees
	seen := map[string]string{"okdctl's output": r.outputs.String()}
	for _, dir := range []string{filepath.Join(r.root, "var/log"), state} {
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() && !isSecretFile(p, secretFiles) && !strings.Contains(p, "registry-data") && !strings.Contains(p, "/backups/") {
				data, _ := os.ReadFile(p)
				seen[p] = string(data)
			}
			return nil
		})
	}
	for what, text := range seen {
		for name, secret := range secrets {
			if len(secret) >= 8 && strings.Contains(text, secret) {
				t.Errorf("%s appears in %s", name, what)
			}
		}
	}
}

func isSecretFile(p string, secrets []string) bool {
	for _, s := range secrets {
		if p == s {
			return true
		}
	}
	return false
}

// keyBody is a line from the middle of a PEM key: enough to recognise it.
func keyBody(pem string) string {
	lines := strings.Split(pem, "\n")
	if len(lines) < 3 {
		return pem
	}
	return lines[1]
}
