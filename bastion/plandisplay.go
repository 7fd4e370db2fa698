package bastion

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// What a plan shows of a file: secrets never, a certificate as a
// description (subject, SANs, issuer, validity) rather than its PEM, so
// that two plans of an unchanged spec on an unchanged bastion are
// identical even when each generates a fresh CA, and a secret file whose
// phase registered a redacted form (install-config.yaml without its pull
// secret) as that form.

// Redact registers how a dry run shows the secret file at path: fn returns
// the content with every secret taken out. Without one a secret file's
// content is never shown. A no-op when the host is not a dry run.
func (h *Host) Redact(path string, fn func([]byte) []byte) {
	rf, ok := h.Files.(*RecordingFiles)
	if !ok {
		return
	}
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.redact == nil {
		rf.redact = map[string]func([]byte) []byte{}
	}
	rf.redact[path] = fn
}

// planWrite describes one planned write of data (old is the live content).
func (r *RecordingFiles) planWrite(path, verb string, old, data []byte, mode fs.FileMode) Planned {
	p := Planned{Kind: KindFile, Path: path, Verb: verb, Size: len(data)}
	r.mu.Lock()
	redact := r.redact[path]
	r.mu.Unlock()
	secret := mode.Perm()&0o077 == 0
	switch {
	case secret && redact == nil:
		p.Summary = fmt.Sprintf("%s %s (%04o, %d bytes), secret: content not shown", verb, path, mode.Perm(), len(data))
		return p
	case !isText(data) || !isText(old):
		p.Summary = fmt.Sprintf("%s %s (%04o, %d bytes), binary", verb, path, mode.Perm(), len(data))
		return p
	}
	shownOld, shownNew := old, data
	if redact != nil {
		shownOld, shownNew = redactOrEmpty(redact, old), redact(data)
	}
	shownOld, _ = DescribeCertificates(shownOld)
	shownNew, certs := DescribeCertificates(shownNew)
	if secret && redact != nil {
		p.Secret = true
	}
	var notes []string
	if redact != nil {
		notes = append(notes, "secrets redacted")
	}
	if len(certs) > 0 {
		// a generated certificate's size varies with its signature: the
		// plan shows its description, not its length
		p.Size = 0
		notes = append(notes, strings.Join(certs, "; "))
		p.Summary = fmt.Sprintf("%s %s (%04o)", verb, path, mode.Perm())
	} else {
		p.Summary = fmt.Sprintf("%s %s (%04o, %d bytes)", verb, path, mode.Perm(), len(data))
	}
	if len(notes) > 0 {
		p.Summary += ", " + strings.Join(notes, ", ")
	}
	p.Diff = Diff(path, shownOld, shownNew)
	p.Added, p.Removed = diffStat(p.Diff)
	return p
}

func redactOrEmpty(fn func([]byte) []byte, data []byte) []byte {
	if len(data) == 0 {
		return data
	}
	return fn(data)
}

// diffStat counts the added and removed lines of a unified diff.
func diffStat(diff string) (added, removed int) {
	for _, line := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
		case strings.HasPrefix(line, "+"):
			added++
		case strings.HasPrefix(line, "-"):
			removed++
		}
	}
	return added, removed
}

// DescribeCertificates replaces every PEM certificate in text (at any
// indentation, as in a YAML block) with one line describing it, and
// returns the descriptions. Text without certificates comes back as it is.
func DescribeCertificates(text []byte) ([]byte, []string) {
	const begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
	if !bytes.Contains(text, []byte(begin)) {
		return text, nil
	}
	lines := strings.SplitAfter(string(text), "\n")
	var out strings.Builder
	var descs []string
	for i := 0; i < len(lines); i++ {
		indent, found := strings.CutSuffix(strings.TrimRight(lines[i], "\r\n"), begin)
		if !found || strings.TrimSpace(indent) != "" {
			out.WriteString(lines[i])
			continue
		}
		j := i
		for j < len(lines) && !strings.Contains(lines[j], end) {
			j++
		}
		if j == len(lines) { // no end: leave it as it is
			out.WriteString(lines[i])
			continue
		}
		var block strings.Builder
		for _, l := range lines[i : j+1] {
			block.WriteString(strings.TrimSpace(l) + "\n")
		}
		nl := ""
		if strings.HasSuffix(lines[j], "\n") {
			nl = "\n"
		}
		desc := describePEM([]byte(block.String()))
		out.WriteString(indent + "<" + desc + ">" + nl)
		descs = append(descs, desc)
		i = j
	}
	return []byte(out.String()), descs
}

func describePEM(block []byte) string {
	b, _ := pem.Decode(block)
	if b == nil {
		return "a certificate okdctl cannot parse, not shown"
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return "a certificate okdctl cannot parse, not shown"
	}
	return DescribeCertificate(c)
}

// DescribeCertificate says what a certificate is in one line: subject,
// whether it is a CA, SANs, issuer, key and lifetime (a duration, not
// dates, so that a certificate generated for a plan reads the same each
// time).
func DescribeCertificate(c *x509.Certificate) string {
	parts := []string{"certificate " + c.Subject.String()}
	if c.IsCA {
		parts = append(parts, "CA")
	}
	var sans []string
	sans = append(sans, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		sans = append(sans, ip.String())
	}
	if len(sans) > 0 {
		parts = append(parts, "SANs "+strings.Join(sans, " "))
	}
	if c.Issuer.String() == c.Subject.String() {
		parts = append(parts, "self-signed")
	} else {
		parts = append(parts, "issued by "+c.Issuer.String())
	}
	parts = append(parts, keyName(c), fmt.Sprintf("valid %d days", int(c.NotAfter.Sub(c.NotBefore)/(24*time.Hour))))
	return strings.Join(parts, ", ")
}

func keyName(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	}
	return c.PublicKeyAlgorithm.String()
}
