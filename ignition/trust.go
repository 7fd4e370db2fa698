package ignition

import (
	"github.com/vincent-petithory/dataurl"
)

// InlineCAs are the certificate authorities a config trusts for the
// HTTPS sources it fetches (ignition.security.tls.certificateAuthorities)
// that it carries inline as data URLs: in openshift-install's pointer
// ignition, the root CA that issued the machine config server's
// certificate. CAs fetched from a URL are skipped.
func InlineCAs(raw []byte) ([][]byte, error) {
	cfg, _, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, ca := range cfg.Ignition.Security.TLS.CertificateAuthorities {
		if ca.Source == nil {
			continue
		}
		if du, err := dataurl.DecodeString(*ca.Source); err == nil {
			out = append(out, du.Data)
		}
	}
	return out, nil
}
