package ignition

import "fmt"

// InlineCAs are the certificate authorities a config trusts for the
// HTTPS sources it fetches (ignition.security.tls.certificateAuthorities)
// that it carries inline as data URLs (gzip-compressed or not): in
// openshift-install's pointer ignition, the root CA that issued the
// machine config server's certificate. CAs fetched from a URL, and inline
// ones that do not decode, are skipped.
func InlineCAs(raw []byte) ([][]byte, error) {
	cfg, _, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, ca := range cfg.Ignition.Security.TLS.CertificateAuthorities {
		if data, err := resourceData(ca); err == nil && data != nil {
			out = append(out, data)
		}
	}
	return out, nil
}

// FileContents is what a config writes to path from an inline data URL
// (gzip-compressed or not): nil when it writes no such file.
func FileContents(raw []byte, path string) ([]byte, error) {
	cfg, _, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	for _, f := range cfg.Storage.Files {
		if f.Path == path {
			data, err := resourceData(f.Contents)
			if err != nil {
				return nil, fmt.Errorf("failed to read %s: %w", path, err)
			}
			return data, nil
		}
	}
	return nil, nil
}
