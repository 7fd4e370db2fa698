package ignition

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"testing"
)

// TestInlineCAsAndFileContents: inline data URLs are read plain or
// gzip-compressed; a CA fetched from a URL is skipped; a file not written
// is nil.
func TestInlineCAsAndFileContents(t *testing.T) {
	t.Parallel()
	pem := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(pem)
	zw.Close()
	plain := "data:text/plain;charset=utf-8;base64," + base64.StdEncoding.EncodeToString(pem)
	zipped := "data:;base64," + base64.StdEncoding.EncodeToString(gz.Bytes())
	raw := []byte(fmt.Sprintf(`{"ignition":{"version":"3.2.0","security":{"tls":{"certificateAuthorities":[
		{"source":%q},{"source":%q,"compression":"gzip"},{"source":"https://example.invalid/ca.pem"}]}}},
		"storage":{"files":[{"path":"/opt/ca.crt","contents":{"source":%q,"compression":"gzip"}}]}}`, plain, zipped, zipped))
	cas, err := InlineCAs(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(cas) != 2 || !bytes.Equal(cas[0], pem) || !bytes.Equal(cas[1], pem) {
		t.Errorf("InlineCAs: %q, want the plain and the gzip-compressed CA, both %q", cas, pem)
	}
	if got, err := FileContents(raw, "/opt/ca.crt"); err != nil || !bytes.Equal(got, pem) {
		t.Errorf("FileContents(/opt/ca.crt) = %q, %v", got, err)
	}
	if got, err := FileContents(raw, "/opt/other"); err != nil || got != nil {
		t.Errorf("FileContents of a file not written = %q, %v", got, err)
	}
}
