package registry

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// pkiRun runs the file steps of Ensure (no service) at now.
func pkiRun(t *testing.T, files bastion.Files, in *Input) (ca, leaf *KeyPair, password string) {
	t.Helper()
	ca, err := ensureCA(files, in)
	if err != nil {
		t.Fatal(err)
	}
	if leaf, err = ensureLeaf(files, in, ca); err != nil {
		t.Fatal(err)
	}
	if password, err = ensurePassword(files, in); err != nil {
		t.Fatal(err)
	}
	if _, err := ensureHtpasswd(files, in, password); err != nil {
		t.Fatal(err)
	}
	if err := ensurePullSecret(files, in, password); err != nil {
		t.Fatal(err)
	}
	return ca, leaf, password
}

func TestPKIKeptAndRenewed(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := &bastion.DiskFiles{BackupDir: root + "/backups"}
	log := &recLogger{}
	in := Input{Cluster: "okd.example", Name: "registry.okd.example", IP: "127.0.0.1", Port: 5000, User: "admin",
		Layout: layoutUnder(root), Now: testNow, Log: log}
	ca1, leaf1, pw1 := pkiRun(t, files, &in)

	n := files.Changes()
	ca2, leaf2, pw2 := pkiRun(t, files, &in)
	if files.Changes() != n || ca2.Cert.SerialNumber.Cmp(ca1.Cert.SerialNumber) != 0 ||
		leaf2.Cert.SerialNumber.Cmp(leaf1.Cert.SerialNumber) != 0 || pw1 != pw2 {
		t.Fatalf("a second run changed %d files (CA or leaf or password replaced)", files.Changes()-n)
	}

	// A key left 0644 by someone is put back to 0600 without being replaced.
	_ = os.Chmod(in.Layout.Key, 0o644)
	_, leaf3, _ := pkiRun(t, files, &in)
	if fi, _ := os.Stat(in.Layout.Key); fi.Mode().Perm() != 0o600 || leaf3.Cert.SerialNumber.Cmp(leaf1.Cert.SerialNumber) != 0 {
		t.Errorf("key mode %04o after a run; leaf replaced: %v", fi.Mode().Perm(), leaf3.Cert.SerialNumber.Cmp(leaf1.Cert.SerialNumber) != 0)
	}

	// A new bastion IP renews the leaf (old one backed up), not the CA.
	in.IP = "127.0.0.2"
	ca4, leaf4, _ := pkiRun(t, files, &in)
	if ca4.Cert.SerialNumber.Cmp(ca1.Cert.SerialNumber) != 0 || leaf4.Cert.IPAddresses[0].String() != "127.0.0.2" {
		t.Errorf("after an IP change: CA replaced or leaf IP %v", leaf4.Cert.IPAddresses)
	}
	if len(files.Backups(in.Layout.Cert)) != 1 || len(files.Backups(in.Layout.Key)) != 1 {
		t.Errorf("backups of the replaced leaf: cert %v key %v", files.Backups(in.Layout.Cert), files.Backups(in.Layout.Key))
	}

	// Eleven months on, the leaf is renewed before it expires.
	in.Now = testNow.Add(340 * 24 * time.Hour)
	_, leaf5, _ := pkiRun(t, files, &in)
	if !leaf5.Cert.NotAfter.After(leaf4.Cert.NotAfter) {
		t.Errorf("leaf not renewed near expiry: %s", leaf5.Cert.NotAfter)
	}
	if !strings.Contains(log.String(), "renewing the registry certificate") {
		t.Errorf("renewal not logged:\n%s", log)
	}

	// A CA whose key was replaced by another is renewed, and so is the leaf.
	other, _ := NewCA("other", testNow)
	_ = os.WriteFile(in.Layout.CAKey, other.KeyPEM, 0o600)
	ca6, leaf6, pw6 := pkiRun(t, files, &in)
	if ca6.Cert.SerialNumber.Cmp(ca1.Cert.SerialNumber) == 0 || leaf6.Cert.CheckSignatureFrom(ca6.Cert) != nil {
		t.Error("a broken CA pair was not replaced, or the leaf was not re-issued by the new CA")
	}
	if pw6 != pw1 {
		t.Error("the password changed with the CA")
	}
	if !strings.Contains(log.String(), "warning: replacing okdctl's CA") {
		t.Errorf("CA replacement not warned about:\n%s", log)
	}
	assertNoSecret(t, pw1, "the log", log.String())
}

func TestPasswordAndHtpasswd(t *testing.T) {
	t.Parallel()
	p := NewPassword()
	if err := ValidPassword(p); err != nil || len(p) < 26 || p == NewPassword() {
		t.Fatalf("NewPassword %d chars: %v", len(p), err)
	}
	h, err := Htpasswd("admin", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(h), "admin:$2a$05$") || !HtpasswdMatches(h, "admin", p) {
		t.Errorf("htpasswd %q does not hold a bcrypt entry for admin", h)
	}
	if HtpasswdMatches(h, "admin", p+"x") || HtpasswdMatches(h, "root", p) || HtpasswdMatches(append(h, h...), "admin", p) {
		t.Error("HtpasswdMatches accepts a wrong password, user or a second entry")
	}
	if _, err := Htpasswd("ad:min", p); err == nil {
		t.Error("a user name with a colon was accepted")
	}
}

func TestPullSecretMerge(t *testing.T) {
	t.Parallel()
	user := []byte(`{"auths":{"quay.io":{"auth":"cXVheTpwdw==","email":"a@b.c"}},"other":1}`)
	out, err := PullSecret(user, []string{"registry.okd.example:5000"}, "admin", "s3cret-pass-word-long")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"auths":{"quay.io":{"auth":"cXVheTpwdw==","email":"a@b.c"},"registry.okd.example:5000":{"auth":"YWRtaW46czNjcmV0LXBhc3Mtd29yZC1sb25n"}},"other":1}` + "\n"
	if string(out) != want {
		t.Errorf("merged pull secret\n got %s\nwant %s", out, want)
	}
	if u, p, ok := Credentials(out, "registry.okd.example:5000"); !ok || u != "admin" || p != "s3cret-pass-word-long" {
		t.Errorf("Credentials = %q %q %v", u, p, ok)
	}
	if _, err := PullSecret([]byte(`{"auths":"s3cret"`), nil, "a", "b"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("broken user pull secret: %v (must fail without quoting it)", err)
	}
	empty, _ := PullSecret(nil, []string{"r:1"}, "a", "bbbbbbbbbbbbbbbbbb")
	if !strings.HasPrefix(string(empty), `{"auths":{"r:1":`) {
		t.Errorf("pull secret without a user file: %s", empty)
	}
}

func TestEnsureDryRunTouchesNothing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	h := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true, DryRun: true})
	log := &recLogger{}
	in := Input{Cluster: "okd.example", Name: "registry.okd.example", IP: "127.0.0.1", Port: 5000, User: "admin",
		Layout: layoutUnder(root), Okdctl: "/usr/local/bin/okdctl", Log: log}
	var secrets []string
	in.AddSecret = func(s ...string) { secrets = append(secrets, s...) }
	if _, err := Ensure(context.Background(), h, in); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root + "/var"); err == nil {
		t.Error("the dry run created files")
	}
	var plan strings.Builder
	for _, p := range h.Rec.Take() {
		plan.WriteString(p.Kind + " " + p.Summary + "\n" + p.Diff + "\n")
	}
	for _, want := range []string{"create " + in.Layout.CAKey + " (0600", "create " + in.Layout.Password + " (0600",
		"secret: content not shown", "create " + in.Layout.Config, "ensure okdctl-registry runs: /usr/local/bin/okdctl serve registry"} {
		if !strings.Contains(plan.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, plan.String())
		}
	}
	if len(secrets) != 1 {
		t.Fatalf("%d secrets registered", len(secrets))
	}
	assertNoSecret(t, secrets[0], "the plan", plan.String())
	assertNoSecret(t, secrets[0], "the log", log.String())
}
