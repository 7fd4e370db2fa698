package day2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/dnsrecords/etcdserve"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestDNSTakesOverDebianEtcd is an existing bastion whose okdctl-etcd ran
// Debian's etcd 3.4 (the test-only etcd-server package) with the records
// in it: the dns phase switches the unit to `okdctl serve etcd`, the
// records written by the old etcd are there (nothing to write again) and
// answer through CoreDNS, the old data is kept, and a second apply
// changes nothing.
func TestDNSTakesOverDebianEtcd(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t, 3*time.Minute)
	c := sandboxSpec(t, []string{"dns", "etcd", "etcdPeer"})
	host := sandboxHost(t, t.TempDir())
	rc, _ := newRC(t, c, host, "")
	d := installer.DNS(rc)
	svc, err := d.EtcdService()
	if err != nil {
		t.Fatal(err)
	}
	old := svc
	old.Command = append([]string{testenv.Binary(t, "etcd")}, svc.Command[3:]...) // okdctl serve etcd ... -> etcd ...
	if _, err := host.Services.Ensure(ctx, old); err != nil {
		t.Fatal(err)
	}
	endpoint := d.EtcdEndpoint()
	in := installer.DNSInput(rc)
	desired, err := dnsrecords.Desired(in)
	if err != nil {
		t.Fatal(err)
	}
	client, err := dnsrecords.NewClient([]string{endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := dnsrecords.NewSyncer(in, client, []string{endpoint}).Sync(ctx, desired); err != nil {
		t.Fatalf("writing the records with Debian's etcd: %v", err)
	}
	if v, err := etcdserve.RunningVersion(ctx, endpoint); err != nil || etcdserve.Serves(v) {
		t.Fatalf("the old okdctl-etcd runs etcd %q (%v), want Debian's 3.4", v, err)
	}

	out := applyPhases(t, c, host, "", &installer.DNSPhase{})
	for _, want := range []string{"okdctl-etcd runs etcd 3.4", "restored the records of the older etcd",
		"etcd holds all", "nothing to write"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dns phase did not say %q:\n%s", want, out)
		}
	}
	if v, err := etcdserve.RunningVersion(ctx, endpoint); err != nil || !etcdserve.Serves(v) {
		t.Fatalf("after the switch okdctl-etcd runs etcd %q (%v)", v, err)
	}
	kept, _ := filepath.Glob(d.EtcdDataDir() + ".etcd-legacy-*")
	if len(kept) != 1 {
		t.Fatalf("the old data is not kept beside the new: %v", kept)
	}
	if _, err := os.Stat(filepath.Join(kept[0], "member", "wal")); err != nil {
		t.Fatal(err)
	}
	again := applyPhases(t, c, host, "", &installer.DNSPhase{})
	if strings.Contains(again, "takes it over") || strings.Contains(again, "restarted") || strings.Contains(again, "started") {
		t.Errorf("a second apply changed something:\n%s", again)
	}
}
