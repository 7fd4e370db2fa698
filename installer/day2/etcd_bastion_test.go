package day2

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestBastionEtcdBackupRestore backs up the sandbox's DNS etcd, loses its
// data, and restores the backup into a fresh etcd that answers the same DNS.
func TestBastionEtcdBackupRestore(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t, 3*time.Minute)
	c := sandboxSpec(t, []string{"dns", "etcd", "etcdPeer"})
	root := t.TempDir()
	host := sandboxHost(t, root)
	applyPhases(t, c, host, "", &installer.DNSPhase{})
	rc, out := newRC(t, c, host, "")
	checks, err := dnsrecords.AllChecks(installer.DNSInput(rc))
	if err != nil {
		t.Fatal(err)
	}
	dnsOK := func() *dnsrecords.Report {
		return dnsrecords.Verify(ctx, dnsrecords.VerifyOptions{Server: installer.DNS(rc).Addr(), Timeout: time.Second}, checks)
	}

	var first SnapshotInfo
	for i := range 3 {
		info, err := BackupBastionEtcd(ctx, rc, BackupOptions{Keep: 2})
		if err != nil {
			t.Fatalf("backup %d: %v\n%s", i, err, out)
		}
		if i == 0 {
			first = info
		}
	}
	kept, _ := listBackups(BastionBackupDir(rc), ".db")
	if len(kept) != 2 || exists(first.Path) {
		t.Fatalf("kept %v, want the 2 newest", kept)
	}
	for _, p := range kept {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
	}

	// The disaster: etcd's data is gone and it starts empty.
	sb := host.Services.(*bastion.Sandbox)
	dataDir := installer.DNS(rc).EtcdDataDir()
	if err := sb.Stop(ctx, dnsrecords.EtcdServiceName); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dataDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := startEtcdFor(ctx, rc); err != nil {
		t.Fatal(err)
	}
	// SIGUSR1 reloads CoreDNS, which drops its cache.
	if err := syscall.Kill(sb.PID(dnsrecords.CoreDNSServiceName), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if rep := waitDNS(ctx, dnsOK, false); rep.OK() {
		t.Fatal("DNS still answers with etcd's data gone")
	}

	pid := sb.PID(dnsrecords.EtcdServiceName)
	err = RestoreBastionEtcd(ctx, rc, RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "refusing to restore") || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("restore without --yes: %v", err)
	}
	err = RestoreBastionEtcd(ctx, rc, RestoreOptions{Confirm: func(string) (bool, error) { return false, nil }})
	if err == nil || sb.PID(dnsrecords.EtcdServiceName) != pid {
		t.Fatalf("restore declined: %v, etcd restarted: %v", err, sb.PID(dnsrecords.EtcdServiceName) != pid)
	}

	if err := RestoreBastionEtcd(ctx, rc, RestoreOptions{Yes: true}); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if rep := dnsOK(); !rep.OK() {
		t.Fatalf("after the restore: %s", rep)
	}
	if old, _ := filepath.Glob(dataDir + ".okdctl-backup-*"); len(old) != 1 {
		t.Errorf("the replaced data is not kept beside: %v", old)
	}
	if !strings.Contains(out.String(), "DNS verified after the restore") || !strings.Contains(out.String(), "etcd holds the spec's") {
		t.Errorf("log:\n%s", out)
	}
}

func startEtcdFor(ctx context.Context, rc *installer.RunContext) (bastion.Action, error) {
	svc, err := installer.DNS(rc).EtcdService()
	if err != nil {
		return "", err
	}
	return rc.Host().Services.Ensure(ctx, svc)
}

// waitDNS asks until the report is as wanted (or 10 s pass: CoreDNS's
// cache lasts 1 s in the sandbox).
func waitDNS(ctx context.Context, verify func() *dnsrecords.Report, ok bool) *dnsrecords.Report {
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep := verify()
		if rep.OK() == ok || time.Now().After(deadline) {
			return rep
		}
		time.Sleep(200 * time.Millisecond)
	}
}
