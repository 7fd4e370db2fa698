package registry

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/okdctl/okdctl/bastion"
)

// addDebian adds a new CA the way update-ca-certificates does for one new
// local certificate, without what makes the tool slow (2.5-6 s on a
// loaded bastion: it re-links every certificate of /etc/ca-certificates.conf
// with a few processes each, then rehashes the whole directory): the
// <Links>/<name>.pem link to the anchor, its OpenSSL subject-hash link,
// and the PEM appended to the bundle. It reports false, having changed
// nothing, when the tool must run instead: hooks to tell (Java's keystore,
// ...), links that are not as a fresh install leaves them, or a subject it
// cannot hash.
func addDebian(ctx context.Context, h *bastion.Host, ts *TrustStore, caPEM, bundle []byte) (bool, error) {
	if ts.Links == "" || !isDir(ts.Links) || hasHooks(ts.Hooks) {
		return false, nil
	}
	hash, err := subjectHashPEM(caPEM)
	if err != nil {
		return false, nil
	}
	name := strings.TrimSuffix(filepath.Base(ts.Anchor), ".crt") + ".pem"
	link := filepath.Join(ts.Links, name)
	if _, err := os.Lstat(link); !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	hashLink, ok := freeHashLink(ts.Links, hash)
	if !ok {
		return false, nil
	}
	err = h.Wet(ctx, "link "+link+" and "+hashLink+" to okdctl's CA", "", func(context.Context) error {
		if err := os.Symlink(ts.Anchor, link); err != nil {
			return err
		}
		return os.Symlink(name, hashLink)
	})
	if err != nil {
		return false, fmt.Errorf("failed to add the CA to the trust store: %w", err)
	}
	if len(bundle) > 0 && !bytes.HasSuffix(bundle, []byte("\n")) {
		bundle = append(bundle, '\n')
	}
	body := append(append([]byte{}, bundle...), caPEM...)
	if !bytes.HasSuffix(body, []byte("\n")) {
		body = append(body, '\n')
	}
	if _, err := h.Files.WriteFile(ts.Bundle, body, 0o644); err != nil {
		return false, fmt.Errorf("failed to add the CA to the trust bundle: %w", err)
	}
	return true, nil
}

// hasHooks reports whether the trust store's hook directory holds anything
// that update-ca-certificates would run.
func hasHooks(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) > 0
}

// freeHashLink is the first <hash>.<n> name OpenSSL would give a new
// certificate in dir (up to 16 certificates may share a subject hash).
func freeHashLink(dir string, hash uint32) (string, bool) {
	for n := 0; n < 16; n++ {
		p := filepath.Join(dir, fmt.Sprintf("%08x.%d", hash, n))
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, true
		}
	}
	return "", false
}

func subjectHashPEM(certPEM []byte) (uint32, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return 0, errors.New("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return 0, err
	}
	return subjectHash(cert.RawSubject)
}

// subjectHash is OpenSSL's X509_NAME_hash (`openssl x509 -subject_hash`,
// the names of /etc/ssl/certs' hash links): the first four bytes, little
// endian, of the SHA-1 of the name's canonical encoding, which is each
// RDN's SET with string values as UTF8String, ASCII lowercased and
// whitespace trimmed and collapsed, concatenated without the outer
// SEQUENCE. Only the string types a certificate okdctl makes can hold are
// handled; any other is an error.
func subjectHash(rawSubject []byte) (uint32, error) {
	var rdns []rdnSET
	if rest, err := asn1.Unmarshal(rawSubject, &rdns); err != nil || len(rest) > 0 {
		return 0, fmt.Errorf("failed to parse the subject: %v", err)
	}
	var canon []byte
	for _, rdn := range rdns {
		out := make(rdnSET, len(rdn))
		for i, ava := range rdn {
			switch ava.Value.Tag {
			case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, 26 /* VisibleString */ :
			default:
				return 0, fmt.Errorf("subject value type %d is not handled", ava.Value.Tag)
			}
			out[i] = attribute{Type: ava.Type, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: canonical(ava.Value.Bytes)}}
		}
		enc, err := asn1.Marshal(out)
		if err != nil {
			return 0, err
		}
		canon = append(canon, enc...)
	}
	sum := sha1.Sum(canon)
	return binary.LittleEndian.Uint32(sum[:4]), nil
}

// rdnSET is one RDN (encoding/asn1 makes a SET of a slice type named *SET).
type rdnSET []attribute

type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// canonical is OpenSSL's asn1_string_canon for UTF-8 bytes: leading and
// trailing whitespace dropped, inner runs of it one space, ASCII lowercased.
func canonical(s []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			out = append(out, c)
		case isSpace(c):
			out = append(out, ' ')
			for i+1 < len(s) && isSpace(s[i+1]) {
				i++
			}
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, c)
		}
	}
	return out
}
