package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/okdctl/okdctl/bastion"
)

// readPair reads a kept certificate and key; (nil, nil) when neither exists.
func readPair(files bastion.Files, certPath, keyPath string) (*KeyPair, error) {
	certPEM, cErr := files.ReadFile(certPath)
	keyPEM, kErr := files.ReadFile(keyPath)
	if errors.Is(cErr, fs.ErrNotExist) && errors.Is(kErr, fs.ErrNotExist) {
		return nil, nil
	}
	if cErr != nil {
		return nil, cErr
	}
	if kErr != nil {
		return nil, kErr
	}
	return ParseKeyPair(certPEM, keyPEM)
}

// writePair writes the key (0600) before the certificate (0644), so that
// an interruption leaves a mismatched pair that the next run replaces.
func writePair(files bastion.Files, kp *KeyPair, certPath, keyPath string) error {
	if _, err := files.WriteFile(keyPath, kp.KeyPEM, 0o600); err != nil {
		return err
	}
	_, err := files.WriteFile(certPath, kp.CertPEM, 0o644)
	return err
}

// ensureCA keeps okdctl's CA while it is valid and creates (or replaces,
// keeping a backup) it otherwise.
func ensureCA(files bastion.Files, in *Input) (*KeyPair, error) {
	l := in.Layout
	ca, err := readPair(files, l.CACert, l.CAKey)
	if err == nil && ca != nil {
		if err = CheckCA(ca, in.Now); err == nil {
			_, err := files.WriteFile(l.CAKey, ca.KeyPEM, 0o600) // keeps the mode 0600
			return ca, err
		}
	}
	if err != nil {
		in.log().Warnf("replacing okdctl's CA (%v); the old one is kept as a backup, and clusters that trust it must be given the new one", err)
	}
	ca, err = NewCA("okdctl CA for "+in.Cluster, in.Now)
	if err != nil {
		return nil, err
	}
	if err := writePair(files, ca, l.CACert, l.CAKey); err != nil {
		return nil, fmt.Errorf("failed to write the CA: %w", err)
	}
	in.log().Infof("created okdctl's CA %s", l.CACert)
	return ca, nil
}

// ensureLeaf keeps the registry's certificate while it is valid, issued by
// ca and names exactly the registry's name and IP; otherwise it issues a new
// one (the old one kept as a backup).
func ensureLeaf(files bastion.Files, in *Input, ca *KeyPair) (*KeyPair, error) {
	l := in.Layout
	req := LeafRequest{DNSName: in.Name, IP: in.IP}
	leaf, err := readPair(files, l.Cert, l.Key)
	if err == nil && leaf != nil {
		if err = CheckLeaf(leaf, ca.Cert, req, in.Now); err == nil {
			_, err := files.WriteFile(l.Key, leaf.KeyPEM, 0o600)
			return leaf, err
		}
	}
	if err != nil {
		in.log().Infof("renewing the registry certificate: %v", err)
	}
	leaf, err = NewLeaf(ca, req, in.Now)
	if err != nil {
		return nil, err
	}
	if err := writePair(files, leaf, l.Cert, l.Key); err != nil {
		return nil, fmt.Errorf("failed to write the registry certificate: %w", err)
	}
	in.log().Infof("issued the registry certificate for %s and %s, valid until %s", in.Name, in.IP, leaf.Cert.NotAfter.UTC().Format("2006-01-02"))
	return leaf, nil
}

// ensurePassword keeps the generated password, or generates one. The
// password is registered as a secret before anything else happens.
func ensurePassword(files bastion.Files, in *Input) (string, error) {
	data, err := files.ReadFile(in.Layout.Password)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("failed to read the registry password: %w", err)
	}
	password := strings.TrimSpace(string(data))
	if err == nil {
		if verr := ValidPassword(password); verr != nil {
			in.log().Infof("generating a new registry password: %v", verr)
			password = ""
		}
	}
	if password == "" {
		password = NewPassword()
	}
	if in.AddSecret != nil {
		in.AddSecret(password)
	}
	if _, err := files.WriteFile(in.Layout.Password, []byte(password+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("failed to write the registry password: %w", err)
	}
	return password, nil
}

// ensureHtpasswd keeps an htpasswd whose bcrypt entry matches the password
// (bcrypt salts differ, so it is never rewritten needlessly).
func ensureHtpasswd(files bastion.Files, in *Input, password string) ([]byte, error) {
	old, err := files.ReadFile(in.Layout.Htpasswd)
	if err == nil && HtpasswdMatches(old, in.User, password) {
		_, err := files.WriteFile(in.Layout.Htpasswd, old, 0o600)
		return old, err
	}
	data, err := Htpasswd(in.User, password)
	if err != nil {
		return nil, err
	}
	if _, err := files.WriteFile(in.Layout.Htpasswd, data, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write htpasswd: %w", err)
	}
	return data, nil
}

// ensurePullSecret writes the user's pull secret merged with the mirror's
// credentials, for the registry's name and its IP.
func ensurePullSecret(files bastion.Files, in *Input, password string) error {
	e := in.endpoint(nil, password)
	data, err := PullSecret(in.UserPullSecret, []string{e.Host(), e.Addr()}, in.User, password)
	if err != nil {
		return err
	}
	if _, err := files.WriteFile(in.Layout.PullSecret, data, 0o600); err != nil {
		return fmt.Errorf("failed to write the pull secret: %w", err)
	}
	return nil
}
