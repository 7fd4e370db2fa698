package day2

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/sshmaster"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

var (
	snapOnce sync.Once
	snapPath string
	snapErr  error
)

// realSnapshot is a snapshot of a real etcd, made once per test binary,
// for the stand-in cluster-backup.sh to hand out.
func realSnapshot(t *testing.T) string {
	t.Helper()
	snapOnce.Do(func() {
		dir, err := os.MkdirTemp("", "okdctl-day2-snap")
		if err != nil {
			snapErr = err
			return
		}
		e := testenv.StartEtcd(t)
		c := etcdClient(t, e.Endpoint)
		ctx := testenv.Context(t, time.Minute)
		for i := range 20 {
			if _, err := c.Put(ctx, fmt.Sprintf("/kubernetes.io/configmaps/ns/cm%d", i), "data"); err != nil {
				snapErr = err
				return
			}
		}
		snapPath = filepath.Join(dir, "snap.db")
		_, snapErr = SaveSnapshot(ctx, e.Endpoint, snapPath)
	})
	if snapErr != nil {
		t.Fatal(snapErr)
	}
	return snapPath
}

// masters starts a simulated master on port for every master of c.
func masters(t *testing.T, c *spec.Cluster, key ssh.PublicKey, port int) map[string]*sshmaster.Master {
	t.Helper()
	out := map[string]*sshmaster.Master{}
	for _, n := range c.Spec.NodesWithRole(spec.RoleMaster) {
		out[n.Name] = sshmaster.Start(t, sshmaster.Options{IP: n.IP, Port: port, AuthorizedKey: key, Snapshot: realSnapshot(t)})
	}
	return out
}

func dayTwoRC(t *testing.T, c *spec.Cluster) (*installer.RunContext, *bastion.SyncBuffer) {
	t.Helper()
	return newRC(t, c, bastion.NewHost(bastion.HostOptions{Root: t.TempDir()}), "")
}

func TestClusterEtcdBackup(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t, time.Minute)
	c := sandboxSpec(t, nil)
	keyFile, pub := sshmaster.ClientKey(t)
	port := testenv.FreePort(t, "127.0.1.3")
	sims := masters(t, c, pub, port)
	rc, out := dayTwoRC(t, c)
	opts := ClusterBackupOptions{SSH: SSHOptions{KeyFile: keyFile, Port: port}, Keep: 1}

	b, err := BackupClusterEtcd(ctx, rc, opts)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if b.Master != "m0" || len(b.Files) != 2 || b.Snapshot.Keys != 20 {
		t.Fatalf("backup = %+v", b)
	}
	for _, f := range append(b.Files, BackupFile{Name: fileBackupInfo}) {
		fi, err := os.Stat(filepath.Join(b.Dir, f.Name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f.Name, fi, err)
		}
	}
	if _, err := ReadClusterBackup(b.Dir); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(sims["m0"].Path("/home/core/backup/okdctl-*")); len(left) != 0 {
		t.Errorf("the backup stays on the master: %v", left)
	}
	if !strings.Contains(out.String(), "recorded the SSH host key of 127.0.1.3:") {
		t.Errorf("host key not recorded:\n%s", out)
	}

	second, err := BackupClusterEtcd(ctx, rc, opts)
	if err != nil {
		t.Fatalf("second backup: %v", err)
	}
	if all, _ := listBackups(ClusterBackupDir(rc), ""); len(all) != 1 || all[0] != second.Dir {
		t.Errorf("backups kept: %v, want only %s", all, second.Dir)
	}

	// A damaged copy is refused on restore.
	if err := os.WriteFile(filepath.Join(second.Dir, second.Files[1].Name), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadClusterBackup(second.Dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged backup: %v", err)
	}
}

func TestClusterEtcdBackupRefusals(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t, time.Minute)
	c := sandboxSpec(t, nil)
	keyFile, pub := sshmaster.ClientKey(t)
	port := testenv.FreePort(t, "127.0.1.3")
	masters(t, c, pub, port)

	t.Run("unknown key", func(t *testing.T) {
		other, _ := sshmaster.ClientKey(t)
		rc, _ := dayTwoRC(t, c)
		_, err := BackupClusterEtcd(ctx, rc, ClusterBackupOptions{SSH: SSHOptions{KeyFile: other, Port: port}})
		if err == nil || !strings.Contains(err.Error(), "failed to log in to m0 as core@127.0.1.3") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("changed host key", func(t *testing.T) {
		rc, _ := dayTwoRC(t, c)
		_, impostor := sshmaster.ClientKey(t)
		known := filepath.Join(rc.StateDir(), "ssh_known_hosts")
		if err := os.MkdirAll(filepath.Dir(known), 0o700); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("[127.0.1.3]:%d %s", port, ssh.MarshalAuthorizedKey(impostor))
		if err := os.WriteFile(known, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := BackupClusterEtcd(ctx, rc, ClusterBackupOptions{SSH: SSHOptions{KeyFile: keyFile, Port: port}})
		if err == nil || !strings.Contains(err.Error(), "is not the one recorded") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not a master", func(t *testing.T) {
		rc, _ := dayTwoRC(t, c)
		_, err := BackupClusterEtcd(ctx, rc, ClusterBackupOptions{Master: "w0", SSH: SSHOptions{KeyFile: keyFile, Port: port}})
		if err == nil || !strings.Contains(err.Error(), `"w0" is not a master`) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestClusterEtcdRestore(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t, time.Minute)
	c := sandboxSpec(t, nil, "  - {name: m0, role: master, ip: 127.0.1.3, nic: eth0}\n",
		"  - {name: m0, role: master, ip: 127.0.1.3, nic: eth0}\n  - {name: m1, role: master, ip: 127.0.1.5, nic: eth0}\n  - {name: m2, role: master, ip: 127.0.1.6, nic: eth0}\n")
	keyFile, pub := sshmaster.ClientKey(t)
	port := testenv.FreePort(t, "127.0.1.3")
	sims := masters(t, c, pub, port)
	rc, out := dayTwoRC(t, c)
	sshOpts := SSHOptions{KeyFile: keyFile, Port: port}
	b, err := BackupClusterEtcd(ctx, rc, ClusterBackupOptions{SSH: sshOpts})
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	ran := len(sims["m0"].Commands())

	_, err = RestoreClusterEtcd(ctx, rc, ClusterRestoreOptions{SSH: sshOpts})
	if err == nil || !strings.Contains(err.Error(), "refusing to restore the cluster's etcd without confirmation") ||
		!strings.Contains(err.Error(), "cluster-restore.sh") {
		t.Fatalf("restore without --yes: %v", err)
	}
	if len(sims["m0"].Commands()) != ran || len(sims["m1"].Commands()) != 0 {
		t.Fatal("a refused restore ran commands on the masters")
	}

	var asked string
	next, err := RestoreClusterEtcd(ctx, rc, ClusterRestoreOptions{SSH: sshOpts,
		Confirm: func(s string) (bool, error) { asked = s; return true, nil }})
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if !strings.Contains(asked, "on m1, m2: move etcd-pod.yaml and kube-apiserver-pod.yaml") {
		t.Errorf("the question does not say what happens:\n%s", asked)
	}
	restored, err := os.ReadFile(sims["m0"].Path("/var/lib/etcd/restored-from"))
	if err != nil || strings.TrimSpace(string(restored)) != b.Files[0].Name {
		t.Errorf("m0 restored %q (%v), want %s", restored, err, b.Files[0].Name)
	}
	for _, name := range []string{"m1", "m2"} {
		m := sims[name]
		if exists(m.Path("/etc/kubernetes/manifests/etcd-pod.yaml")) || exists(m.Path("/var/lib/etcd")) {
			t.Errorf("%s: etcd's static pod or data still in place", name)
		}
		if moved, _ := filepath.Glob(m.Path("/home/core/okdctl-static-pods-*/kube-apiserver-pod.yaml")); len(moved) != 1 {
			t.Errorf("%s: the API server's manifest was not moved aside", name)
		}
	}
	if exists(sims["m0"].Path("/etc/kubernetes/manifests/etcd-pod.yaml")) == false {
		t.Error("the recovery master's static pods were moved")
	}
	for name, m := range sims {
		log, _ := os.ReadFile(filepath.Join(m.Root, "systemctl.log"))
		if !strings.Contains(string(log), "restart kubelet.service") {
			t.Errorf("%s: kubelet not restarted (%q)", name, log)
		}
	}
	if os.Getenv("SHOW") != "" {
		t.Logf("asked:\n%s\nlog:\n%s\nnext:\n%s", asked, out, next)
	}
	for _, want := range []string{"okdctl approve-csrs\n", "oc patch etcd cluster", "oc patch kubeapiserver cluster"} {
		if !strings.Contains(next, want) {
			t.Errorf("next steps lack %q:\n%s", want, next)
		}
	}
}
