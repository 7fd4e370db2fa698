package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/installer/day2"
	"github.com/okdctl/okdctl/internal/sshmaster"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestEtcdClusterCommands backs up the sandbox's cluster etcd from a
// simulated master over SSH, and checks that a restore is refused without
// --yes when no terminal can ask.
func TestEtcdClusterCommands(t *testing.T) {
	t.Parallel()
	spec := filepath.Join(copyExamples(t), "sandbox.yaml")
	root := t.TempDir()
	e := testenv.StartEtcd(t)
	snap := filepath.Join(t.TempDir(), "snap.db")
	if _, err := day2.SaveSnapshot(testenv.Context(t, time.Minute), e.Endpoint, snap); err != nil {
		t.Fatal(err)
	}
	key, pub := sshmaster.ClientKey(t)
	port := testenv.FreePort(t, "127.0.1.3")
	m := sshmaster.Start(t, sshmaster.Options{IP: "127.0.1.3", Port: port, AuthorizedKey: pub, Snapshot: snap})
	ssh := []string{"--cluster", "-f", spec, "--root", root, "--ssh-key", key, "--ssh-port", fmt.Sprint(port)}

	out, errOut, code := run(t, append([]string{"etcd", "backup"}, ssh...)...)
	if code != 0 {
		t.Fatalf("backup exit %d: %s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	dir := lines[len(lines)-1]
	if _, err := os.Stat(filepath.Join(dir, "backup.json")); err != nil || !strings.HasPrefix(dir, root) {
		t.Fatalf("backup printed %q: %v", dir, err)
	}

	ran := len(m.Commands())
	out, errOut, code = run(t, append([]string{"etcd", "restore"}, ssh...)...)
	if code != 1 || !strings.Contains(errOut, "ERROR: refusing to restore the cluster's etcd without confirmation") {
		t.Fatalf("restore without --yes: exit %d\n%s%s", code, out, errOut)
	}
	// the ERROR line comes first and announces the explanation below it
	errLines := strings.Split(strings.TrimSpace(errOut), "\n")
	if !strings.HasPrefix(errLines[0], "ERROR: ") || !strings.HasSuffix(errLines[0], "pass --yes once you have read what it would do:") ||
		len(errLines) < 2 || strings.HasPrefix(errLines[1], "ERROR") || out != "" {
		t.Errorf("restore without --yes does not explain itself after its ERROR line:\nstdout %q\nstderr:\n%s", out, errOut)
	}
	if len(m.Commands()) != ran {
		t.Error("a refused restore ran commands on the master")
	}
	if _, errOut, code = run(t, "etcd", "backup", "--bastion", "--cluster", "-f", spec); code != 1 || !strings.Contains(errOut, "cannot be combined") {
		t.Errorf("--bastion --cluster: exit %d %s", code, errOut)
	}
}

func TestAskYes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"yes\n": true, "y\n": false, "\n": false, "YES\n": false, " yes \n": true} {
		var out strings.Builder
		got, err := askYes(strings.NewReader(in), &out, "restore X")
		if err != nil || got != want || !strings.Contains(out.String(), "Type yes to go on") {
			t.Errorf("askYes(%q) = %v %v, want %v", in, got, err, want)
		}
	}
}
