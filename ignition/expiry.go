package ignition

import (
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/coreos/ignition/v2/config/v3_5/types"
	"github.com/vincent-petithory/dataurl"
)

// StaleAfter is how long after creation okdctl still serves ignition: the
// docs ask to use it within 12 hours, since its certificates last 24.
const StaleAfter = 12 * time.Hour

// CertWindow is the validity of the soonest-expiring certificate embedded in
// an ignition config (bootstrap.ign carries openshift-install's 24 h ones).
type CertWindow struct {
	Issued  time.Time // NotBefore of that certificate
	Expires time.Time // its NotAfter
	Subject string
	Count   int // certificates found
}

// Freshness says whether ignition may still be served.
type Freshness int

// Freshness values.
const (
	Fresh   Freshness = iota
	Stale             // older than StaleAfter: regenerate
	Expired           // a certificate expired: never serve
)

func (f Freshness) String() string {
	return [...]string{"fresh", "stale", "expired"}[f]
}

// Check tells the freshness of the window at now (an injectable clock).
func (w CertWindow) Check(now time.Time) Freshness {
	switch {
	case !now.Before(w.Expires):
		return Expired
	case !now.Before(w.Issued.Add(StaleAfter)):
		return Stale
	}
	return Fresh
}

// CertExpiry reads every PEM certificate in the files an ignition config
// embeds (data URLs, gzip-compressed or not) and returns the window of the
// one that expires first.
func CertExpiry(raw []byte) (CertWindow, error) {
	cfg, _, err := Parse(raw)
	if err != nil {
		return CertWindow{}, err
	}
	var w CertWindow
	for _, f := range cfg.Storage.Files {
		for _, res := range append([]types.Resource{f.Contents}, f.Append...) {
			data, err := resourceData(res)
			if err != nil {
				return CertWindow{}, fmt.Errorf("failed to read %s: %w", f.Path, err)
			}
			w.add(data)
		}
	}
	if w.Count == 0 {
		return CertWindow{}, errors.New("no certificate found in the ignition config")
	}
	return w, nil
}

func (w *CertWindow) add(data []byte) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			continue
		}
		w.Count++
		if w.Count == 1 || cert.NotAfter.Before(w.Expires) {
			w.Issued, w.Expires, w.Subject = cert.NotBefore, cert.NotAfter, cert.Subject.String()
		}
	}
}

// resourceData decodes an inline (data URL) resource; other sources are
// fetched by the node, not here, and read as empty.
func resourceData(res types.Resource) ([]byte, error) {
	if res.Source == nil || !strings.HasPrefix(*res.Source, "data:") {
		return nil, nil
	}
	du, err := dataurl.DecodeString(*res.Source)
	if err != nil {
		return nil, err
	}
	if res.Compression == nil || *res.Compression == "" {
		return du.Data, nil
	}
	if *res.Compression != "gzip" {
		return nil, fmt.Errorf("unknown compression %q", *res.Compression)
	}
	zr, err := gzip.NewReader(bytes.NewReader(du.Data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
