package testenv

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BIND is a real BIND 9 (Debian's bind9, `named`) on loopback: the
// "existing DNS server" of a site, primary for dynamic zones that one TSIG
// key may update and transfer.
type BIND struct {
	// Addr is "IP:port".
	Addr string
	Dir  string
	// KeyName, Algorithm (a miekg/dns name such as hmac-sha256.) and Secret
	// (base64) are the TSIG key the zones accept.
	KeyName, Algorithm, Secret string
	Proc                       *Process
}

// BINDOptions says which zones BIND serves.
type BINDOptions struct {
	// IP to listen on (default 127.0.0.1); the port is a free one.
	IP string
	// Zones are the zone names; each starts with its SOA, an NS and the
	// lines of Records[zone] (zone file syntax, absolute names).
	Zones   []string
	Records map[string][]string
	// ReadOnly are zones of Zones that the key may transfer but not update.
	ReadOnly []string
	// KeyName of the TSIG key (default okdctl-test.).
	KeyName string
	// Port to listen on (default a free one): a BIND started again in
	// place of another keeps its address.
	Port int
}

// StartBIND starts named in the foreground with its own configuration in
// a temporary directory and waits until it answers every zone's SOA.
func StartBIND(t testing.TB, o BINDOptions) *BIND {
	t.Helper()
	bin := Binary(t, "named")
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.KeyName == "" {
		o.KeyName = "okdctl-test."
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	b := &BIND{Dir: t.TempDir(), KeyName: dns.Fqdn(o.KeyName), Algorithm: dns.HmacSHA256,
		Secret: base64.StdEncoding.EncodeToString(secret)}
	port := o.Port
	if port == 0 {
		port = FreePort(t, o.IP)
	}
	b.Addr = fmt.Sprintf("%s:%d", o.IP, port)
	conf := filepath.Join(b.Dir, "named.conf")
	writeFile(t, conf, []byte(b.config(o, port)), 0o644)
	for _, z := range o.Zones {
		writeFile(t, filepath.Join(b.Dir, zoneFile(z)), []byte(zoneText(z, o.Records[z])), 0o644)
	}
	if out, err := exec.Command(Binary(t, "named-checkconf"), "-z", conf).CombinedOutput(); err != nil {
		t.Fatalf("the test's BIND configuration is wrong: %v\n%s", err, out)
	}
	b.Proc = Start(t, bin, "-g", "-4", "-n", "1", "-c", conf)
	b.waitReady(t, o.Zones)
	return b
}

func (b *BIND) config(o BINDOptions, port int) string {
	var s strings.Builder
	fmt.Fprintf(&s, `options {
	directory "%[1]s";
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	managed-keys-directory "%[1]s";
	listen-on port %[2]d { %[3]s; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
key "%[4]s" { algorithm hmac-sha256; secret "%[5]s"; };
`, b.Dir, port, o.IP, strings.TrimSuffix(b.KeyName, "."), b.Secret)
	key := fmt.Sprintf("key %q;", strings.TrimSuffix(b.KeyName, "."))
	for _, z := range o.Zones {
		update := key
		if slices.Contains(o.ReadOnly, z) {
			update = "none;"
		}
		fmt.Fprintf(&s, "zone %q { type primary; file %q; allow-update { %s }; allow-transfer { %s }; };\n",
			strings.TrimSuffix(z, "."), zoneFile(z), update, key)
	}
	return s.String()
}

func zoneFile(zone string) string { return strings.TrimSuffix(zone, ".") + ".db" }

func zoneText(zone string, records []string) string {
	z := dns.Fqdn(zone)
	lines := []string{"$TTL 300",
		fmt.Sprintf("%s IN SOA ns.bind.test. hostmaster.bind.test. 1 3600 600 86400 60", z),
		fmt.Sprintf("%s IN NS ns.bind.test.", z)}
	return strings.Join(append(lines, records...), "\n") + "\n"
}

func (b *BIND) waitReady(t testing.TB, zones []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, z := range zones {
		for {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(z), dns.TypeSOA)
			resp, _, err := (&dns.Client{Timeout: 300 * time.Millisecond}).Exchange(m, b.Addr)
			if err == nil && resp.Rcode == dns.RcodeSuccess && len(resp.Answer) > 0 {
				break
			}
			if b.Proc.Exited() || time.Now().After(deadline) {
				t.Fatalf("BIND did not serve %s within 30s (%v):\n%s", z, err, b.Proc.Log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// KeyFile writes the TSIG secret to a 0600 file in dir and returns its path.
func (b *BIND) KeyFile(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tsig.secret")
	if err := os.WriteFile(p, []byte(b.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Transfer is the zone's content through a TSIG-signed AXFR, without the
// SOA and the apex NS, one zone file line per record, sorted.
func (b *BIND) Transfer(t testing.TB, zone string) []string {
	t.Helper()
	rrs, _ := b.transfer(t, zone)
	return rrs
}

// Serial is the zone's SOA serial (it grows with every applied update).
func (b *BIND) Serial(t testing.TB, zone string) uint32 {
	t.Helper()
	_, serial := b.transfer(t, zone)
	return serial
}

func (b *BIND) transfer(t testing.TB, zone string) ([]string, uint32) {
	t.Helper()
	m := new(dns.Msg)
	m.SetAxfr(dns.Fqdn(zone))
	m.SetTsig(b.KeyName, b.Algorithm, 300, time.Now().Unix())
	tr := &dns.Transfer{TsigSecret: map[string]string{b.KeyName: b.Secret}}
	envs, err := tr.In(m, b.Addr)
	if err != nil {
		t.Fatalf("failed to transfer %s: %v", zone, err)
	}
	var out []string
	var serial uint32
	for e := range envs {
		if e.Error != nil {
			t.Fatalf("failed to transfer %s: %v", zone, e.Error)
		}
		for _, rr := range e.RR {
			switch v := rr.(type) {
			case *dns.SOA:
				serial = v.Serial
				continue
			case *dns.NS:
				if strings.EqualFold(v.Hdr.Name, dns.Fqdn(zone)) {
					continue
				}
			}
			out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), serial
}
