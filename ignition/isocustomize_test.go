package ignition

import (
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCoreOSInstaller records its arguments and copies the files it is
// given, as a stand-in for coreos-installer (not packaged for Debian).
const fakeCoreOSInstaller = `#!/bin/sh
echo "$@" >> "$RECORD"
while [ $# -gt 0 ]; do
  case "$1" in
    --dest-ignition|--network-keyfile) cp "$2" "$RECORD.$(basename "$2")"; shift ;;
  esac
  shift
done
`

// TestISOCustomizeScriptRuns runs the iso-customize script against the
// node's ignition served on loopback: the keyfile it writes is the node's,
// the ignition is fetched and checked by its sha512, and coreos-installer
// gets the flags of `iso customize`. A tampered ignition stops the script.
func TestISOCustomizeScriptRuns(t *testing.T) {
	t.Parallel()
	ign := []byte(`{"ignition":{"version":"3.0.0"}}`)
	served := ign
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(served) }))
	t.Cleanup(srv.Close)
	sum := sha512.Sum512(ign)
	node := Node{Name: "m0", Role: "master", FQDN: "m0.okd.example", NIC: "ens3", IP: "192.168.120.103", PrefixLen: 24,
		Gateway: "192.168.120.1", DNS: []string{"192.168.120.101"}, SearchDomains: []string{"okd.example"}}
	b := Boot{Name: "m0", Role: "master", FQDN: "m0.okd.example", IP: node.IP, Gateway: node.Gateway, Netmask: "255.255.255.0",
		NIC: "ens3", Nameservers: node.DNS, Disk: "/dev/nvme0n1", IgnitionURL: srv.URL + "/ignition/m0.ign",
		IgnitionHash: "sha512-" + hex.EncodeToString(sum[:]), Keyfile: NetworkKeyfile(node)}
	out, err := Render(FormatISOCustomize, []Boot{b})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "coreos-installer"), []byte(fakeCoreOSInstaller), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "iso-customize.sh"), out, 0o644))
	runScript := func() (string, error) {
		cmd := exec.Command("sh", "iso-customize.sh")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "LIVE_ISO=/srv/scos-live.x86_64.iso", "RECORD="+filepath.Join(dir, "record"))
		msg, err := cmd.CombinedOutput()
		return string(msg), err
	}
	if msg, err := runScript(); err != nil {
		t.Fatalf("the script failed: %v\n%s\n%s", err, msg, out)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "record"))
	want := "iso customize --dest-ignition m0.ign --dest-device /dev/nvme0n1 --network-keyfile m0.nmconnection -f -o m0.iso /srv/scos-live.x86_64.iso\n"
	if string(args) != want {
		t.Errorf("coreos-installer got\n%s\nwant\n%s", args, want)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "record.m0.nmconnection")); string(got) != NetworkKeyfile(node) ||
		!strings.Contains(string(got), "interface-name=ens3\n") {
		t.Errorf("the keyfile given to coreos-installer is not the node's:\n%s", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "record.m0.ign")); string(got) != string(ign) {
		t.Errorf("the ignition given to coreos-installer is %q", got)
	}
	served = []byte(`{"ignition":{"version":"3.0.0"},"tampered":true}`)
	os.Remove(filepath.Join(dir, "record"))
	if msg, err := runScript(); err == nil {
		t.Fatalf("a tampered ignition did not stop the script:\n%s", msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "record")); err == nil {
		t.Error("coreos-installer ran on a tampered ignition")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
