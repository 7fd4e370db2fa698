package dnsrecords

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/okdctl/okdctl/internal/testenv"
)

const (
	bindZone    = "okd.test."
	bindReverse = "1.0.127.in-addr.arpa."
)

// foreignRecords are another team's records in the zones okdctl updates.
var foreignRecords = map[string][]string{
	bindZone:    {"www.okd.test. 300 IN A 127.0.9.9", "legacy.itest.okd.test. 300 IN A 127.0.9.8", "legacy.itest.okd.test. 300 IN TXT \"keep me\""},
	bindReverse: {"99.1.0.127.in-addr.arpa. 300 IN PTR www.okd.test."},
}

func startBIND(t *testing.T, o testenv.BINDOptions) *testenv.BIND {
	t.Helper()
	if o.Zones == nil {
		o.Zones = []string{bindZone, bindReverse}
	}
	if o.Records == nil {
		o.Records = foreignRecords
	}
	return testenv.StartBIND(t, o)
}

func externalOf(b *testenv.BIND) External {
	return External{Server: b.Addr, Zone: bindZone, ReverseZones: []string{bindReverse},
		Key: TSIGKey{Name: b.KeyName, Algorithm: "hmac-sha256", Secret: b.Secret}, Timeout: 5 * time.Second}
}

func updateSync(t *testing.T, in Input, ext External) (*UpdateResult, error) {
	t.Helper()
	u, err := NewUpdater(in, ext)
	if err != nil {
		t.Fatal(err)
	}
	return u.Sync(testenv.Context(t, time.Minute))
}

func mustUpdate(t *testing.T, in Input, ext External) *UpdateResult {
	t.Helper()
	res, err := updateSync(t, in, ext)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// verifyAt checks every record of in, the *.apps wildcard and an absent
// name through the server, and that each name in absent answers NXDOMAIN.
func verifyAt(t *testing.T, addr string, in Input, absent ...string) {
	t.Helper()
	records, err := Records(in)
	if err != nil {
		t.Fatal(err)
	}
	checks := append(Checks(in, records), AbsentChecks(absent)...)
	if rep := Verify(context.Background(), VerifyOptions{Server: addr}, checks); !rep.OK() {
		t.Fatal(rep)
	}
}

func serials(t *testing.T, b *testenv.BIND) []uint32 {
	return []uint32{b.Serial(t, bindZone), b.Serial(t, bindReverse)}
}

func TestUpdateAddChangeRemove(t *testing.T) {
	t.Parallel()
	b := startBIND(t, testenv.BINDOptions{})
	ext := externalOf(b)
	in := testInput(8)
	in.EtcdRecords = true

	res := mustUpdate(t, in, ext)
	if add, change, del := res.Plan.Count(); add == 0 || change != 0 || del != 0 || res.Messages != 2 {
		t.Fatalf("first sync: %s, %d messages", res.Plan.Summary(), res.Messages)
	}
	verifyAt(t, b.Addr, in)
	fwd := b.Transfer(t, bindZone)
	for _, want := range []string{
		`*.apps.itest.okd.test. 60 IN A 127.0.1.1`,
		`*.apps.itest.okd.test. 60 IN TXT "heritage=okdctl,okdctl/owner=itest.okd.test"`,
		`api-int.itest.okd.test. 60 IN A 127.0.1.1`,
		`_etcd-server-ssl._tcp.itest.okd.test. 60 IN SRV 0 10 2380 etcd-0.itest.okd.test.`,
		`w4.itest.okd.test. 60 IN TXT "heritage=okdctl,okdctl/owner=itest.okd.test"`,
	} {
		if !slices.Contains(fwd, want) {
			t.Errorf("zone %s lacks %q:\n%s", bindZone, want, strings.Join(fwd, "\n"))
		}
	}
	if rev := b.Transfer(t, bindReverse); !slices.Contains(rev, "1.1.0.127.in-addr.arpa. 60 IN PTR api-int.itest.okd.test.") ||
		!slices.Contains(rev, "1.1.0.127.in-addr.arpa. 60 IN PTR api.itest.okd.test.") {
		t.Errorf("the load balancer's address should point back to api and api-int:\n%s", strings.Join(rev, "\n"))
	}
	assertForeignKept(t, b)

	// an unchanged spec sends nothing: the serials stay
	before := serials(t, b)
	if res := mustUpdate(t, in, ext); !res.Plan.Empty() || res.Messages != 0 || res.Plan.Kept == 0 {
		t.Fatalf("second sync: %s, %d messages", res.Plan.Summary(), res.Messages)
	}
	if after := serials(t, b); !slices.Equal(before, after) {
		t.Fatalf("an unchanged spec changed the zones: serials %v -> %v", before, after)
	}

	// a node moves, two are removed, the ingress moves, etcd records go
	next := testInput(6)
	next.Nodes[4].IP = "127.0.1.77"
	next.IngressIP = "127.0.1.66"
	res = mustUpdate(t, next, ext)
	if add, change, del := res.Plan.Count(); add != 1 || change != 2 || del != 11 {
		t.Fatalf("third sync: %s\n%s", res.Plan.Summary(), strings.Join(res.Plan.Lines(0), "\n"))
	}
	verifyAt(t, b.Addr, next, "w6.itest.okd.test.", "w7.itest.okd.test.", "etcd-0.itest.okd.test.",
		"_etcd-server-ssl._tcp.itest.okd.test.", "8.1.0.127.in-addr.arpa.", "11.1.0.127.in-addr.arpa.")
	assertForeignKept(t, b)
	for _, rr := range b.Transfer(t, bindZone) {
		if strings.HasPrefix(rr, "w6.") || strings.HasPrefix(rr, "etcd-") {
			t.Errorf("a removed name is left: %s", rr)
		}
	}
}

func assertForeignKept(t *testing.T, b *testenv.BIND) {
	t.Helper()
	fwd, rev := b.Transfer(t, bindZone), b.Transfer(t, bindReverse)
	for _, want := range []string{"www.okd.test. 300 IN A 127.0.9.9", "legacy.itest.okd.test. 300 IN A 127.0.9.8",
		`legacy.itest.okd.test. 300 IN TXT "keep me"`, "ns.okd.test"} {
		if want != "ns.okd.test" && !slices.Contains(fwd, want) {
			t.Errorf("a foreign record is gone: %s", want)
		}
	}
	if !slices.Contains(rev, "99.1.0.127.in-addr.arpa. 300 IN PTR www.okd.test.") {
		t.Errorf("the foreign PTR is gone:\n%s", strings.Join(rev, "\n"))
	}
}

func TestUpdateNeverOverwritesForeignNames(t *testing.T) {
	t.Parallel()
	in := testInput(4)
	records := map[string][]string{
		bindZone: append(slices.Clone(foreignRecords[bindZone]),
			"m1.itest.okd.test. 300 IN A 127.0.9.1",  // okdctl wants 127.0.1.6: a conflict
			"m0.itest.okd.test. 300 IN A 127.0.1.5"), // what okdctl wants: left alone
		bindReverse: foreignRecords[bindReverse],
	}
	b := startBIND(t, testenv.BINDOptions{Records: records})
	before := serials(t, b)
	_, err := updateSync(t, in, externalOf(b))
	var conflict *NameConflictError
	if !errors.As(err, &conflict) || len(conflict.Conflicts) != 1 || conflict.Conflicts[0].Key != "m1.itest.okd.test." {
		t.Fatalf("want one conflict on m1, got %v", err)
	}
	if !regexp.MustCompile(`m1\.itest\.okd\.test\. holds A 127\.0\.9\.1 \(okdctl wants A 127\.0\.1\.6\)`).MatchString(err.Error()) {
		t.Errorf("the conflict does not say what is there and what is wanted: %v", err)
	}
	if after := serials(t, b); !slices.Equal(before, after) {
		t.Fatalf("a conflicting plan wrote: serials %v -> %v", before, after)
	}

	// without the conflict, the identical foreign name is kept and never marked
	in.Nodes = slices.DeleteFunc(in.Nodes, func(n Node) bool { return n.Name == "m1" })
	res := mustUpdate(t, in, externalOf(b))
	if !slices.Equal(res.Plan.Foreign, []string{"m0.itest.okd.test."}) {
		t.Errorf("foreign names: %v", res.Plan.Foreign)
	}
	fwd := b.Transfer(t, bindZone)
	if !slices.Contains(fwd, "m1.itest.okd.test. 300 IN A 127.0.9.1") || slices.ContainsFunc(fwd, func(s string) bool {
		return strings.HasPrefix(s, "m0.itest.okd.test.") && strings.Contains(s, "TXT")
	}) {
		t.Errorf("foreign names were touched:\n%s", strings.Join(fwd, "\n"))
	}
	verifyAt(t, b.Addr, in)
}

func TestUpdateBadKeyOrZoneWritesNothing(t *testing.T) {
	t.Parallel()
	b := startBIND(t, testenv.BINDOptions{Zones: []string{bindZone, bindReverse, "2.0.127.in-addr.arpa."},
		ReadOnly: []string{"2.0.127.in-addr.arpa."}})
	in := testInput(4)
	in.Nodes[3].IP = "127.0.2.9" // its PTR is in the zone the key may not update
	base := func() External {
		e := externalOf(b)
		e.ReverseZones = []string{bindReverse, "2.0.127.in-addr.arpa."}
		return e
	}
	wrongSecret := base()
	wrongSecret.Key.Secret = "c2VjcmV0IHRoYXQgaXMgd3Jvbmc="
	wrongName := base()
	wrongName.Key.Name = "nobody"
	wrongAlg := base()
	wrongAlg.Key.Algorithm = "hmac-sha512"
	otherZone := base()
	otherZone.Zone = "itest.okd.test" // inside the zone BIND serves, not a zone of its own
	unservedReverse := base()
	unservedReverse.ReverseZones = append(unservedReverse.ReverseZones, "3.0.127.in-addr.arpa.")
	readOnly := base()
	uncovered := externalOf(b)
	cases := []struct {
		name string
		ext  External
		want string
	}{
		{"wrong secret", wrongSecret, `rejected the TSIG key okdctl-test\. \(hmac-sha256\) \(BADSIG\) .*check the key's name, algorithm and secret`},
		{"unknown key", wrongName, `rejected the TSIG key nobody\. \(hmac-sha256\) \(BADKEY\)`},
		{"wrong algorithm", wrongAlg, `rejected the TSIG key okdctl-test\. \(hmac-sha512\) \(BADKEY\)`},
		{"zone not served", otherZone, `not authoritative for zone itest\.okd\.test\.`},
		{"reverse zone not served", unservedReverse, `not authoritative for zone 3\.0\.127\.in-addr\.arpa\.`},
		{"update refused", readOnly, `refused an update of zone 2\.0\.127\.in-addr\.arpa\. signed with the key okdctl-test\..*allow-update`},
		{"address outside the zones", uncovered, `1 name\(s\) are in none of .*9\.2\.0\.127\.in-addr\.arpa\.`},
	}
	for _, c := range cases {
		before := append(serials(t, b), b.Serial(t, "2.0.127.in-addr.arpa."))
		_, err := updateSync(t, in, c.ext)
		if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
			t.Errorf("%s: want an error matching %q, got %v", c.name, c.want, err)
		}
		if err != nil && strings.Contains(err.Error(), b.Secret) {
			t.Errorf("%s: the error shows the secret", c.name)
		}
		if after := append(serials(t, b), b.Serial(t, "2.0.127.in-addr.arpa.")); !slices.Equal(before, after) {
			t.Errorf("%s: the zones changed: serials %v -> %v", c.name, before, after)
		}
	}
	if fwd := b.Transfer(t, bindZone); slices.ContainsFunc(fwd, func(s string) bool { return strings.Contains(s, "heritage=okdctl") }) {
		t.Errorf("a failed update left records:\n%s", strings.Join(fwd, "\n"))
	}
}

func TestUpdateSettings(t *testing.T) {
	t.Parallel()
	in := testInput(3)
	cases := []struct {
		ext  External
		want string
	}{
		{External{}, `no server address; no forward zone; no TSIG key name; the TSIG secret is not base64`},
		{External{Server: "127.0.0.1", Zone: "okd.test", Key: TSIGKey{Name: "k", Algorithm: "hmac-md5", Secret: "c2VjcmV0"}},
			`the TSIG algorithm "hmac-md5" is not one of`},
		{External{Server: "127.0.0.1", Zone: "other.test", Key: TSIGKey{Name: "k", Secret: "c2VjcmV0"}},
			`the cluster's names \(itest\.okd\.test\.\) are not in the external DNS zone other\.test\.`},
		{External{Server: "127.0.0.1", Zone: "okd.test", ReverseZones: []string{"10.in-addr.arpa", "example.com"}, Key: TSIGKey{Name: "k", Secret: "c2VjcmV0"}},
			`the reverse zone "example.com" is not under in-addr.arpa or ip6.arpa`},
	}
	for _, c := range cases {
		if _, err := NewUpdater(in, c.ext); err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
			t.Errorf("%+v: want %q, got %v", c.ext, c.want, err)
		}
	}
	u, err := NewUpdater(in, External{Server: "127.0.0.1", Zone: "OKD.test", Key: TSIGKey{Name: "k", Secret: "c2VjcmV0"}})
	if err != nil || u.ext.Server != "127.0.0.1:53" || u.ext.Zone != "okd.test." || u.ext.Key.algorithm() != dns.HmacSHA256 {
		t.Errorf("defaults: %+v %v", u, err)
	}
}

func TestReadTSIGKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, err := exec.Command(testenv.Binary(t, "tsig-keygen"), "-a", "hmac-sha512", "okdctl-key").Output()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ReadTSIGKey(write("bind.key", string(out), 0o600), TSIGKey{})
	if err != nil || k.Name != "okdctl-key" || k.Algorithm != "hmac-sha512" || len(k.Secret) < 40 {
		t.Errorf("from tsig-keygen: %v %v", k, err)
	}
	k, err = ReadTSIGKey(write("bare", "c2VjcmV0\n", 0o600), TSIGKey{Name: "x", Algorithm: "hmac-sha256"})
	if err != nil || k.Secret != "c2VjcmV0" || k.Name != "x" {
		t.Errorf("bare secret: %v %v", k, err)
	}
	if _, err := ReadTSIGKey(write("open", "c2VjcmV0\n", 0o644), TSIGKey{}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable secret: %v", err)
	}
	if _, err := ReadTSIGKey(write("junk", "not base64!\n", 0o600), TSIGKey{}); err == nil || strings.Contains(err.Error(), "not base64!") {
		t.Errorf("junk: %v", err)
	}
}
