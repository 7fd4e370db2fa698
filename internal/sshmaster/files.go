package sshmaster

import (
	"os"
	"path/filepath"
)

// The stand-ins. cluster-backup.sh and cluster-restore.sh behave like
// OpenShift's as far as okdctl can see: the backup writes
// snapshot_<time>.db and static_kuberesources_<time>.tar.gz into its
// argument; the restore takes the newest of each from its argument (and
// records what it restored in /var/lib/etcd/restored-from).
var standins = map[string]string{
	"sim-bin/sudo": `#!/bin/sh
[ "$1" = "-E" ] && shift
exec "$@"
`,
	"sim-bin/crictl": `#!/bin/sh
# no container runs on the simulated master
exit 0
`,
	"sim-bin/systemctl": `#!/bin/sh
echo "$*" >> "$SIM_ROOT/systemctl.log"
`,
	"usr/local/bin/cluster-backup.sh": `#!/bin/sh
set -e
if [ -z "$1" ]; then echo "Usage: $0 <path-to-backup-dir>" >&2; exit 1; fi
mkdir -p "$1"
d=$(date "+%F_%H%M%S")
cp "$SIM_SNAPSHOT" "$1/snapshot_$d.db"
tar czf "$1/static_kuberesources_$d.tar.gz" -C "$SIM_ROOT/etc/kubernetes" static-pod-resources
echo "snapshot db and kube resources are successfully saved to $1"
`,
	"usr/local/bin/cluster-restore.sh": `#!/bin/sh
set -e
snap=$(ls -vd "$1"/snapshot*.db | tail -1)
res=$(ls -vd "$1"/static_kuberesources*.tar.gz | tail -1)
[ -s "$snap" ] && [ -s "$res" ]
mkdir -p "$SIM_ROOT/var/lib/etcd"
basename "$snap" > "$SIM_ROOT/var/lib/etcd/restored-from"
echo "restored $snap and $res"
`,
	"etc/kubernetes/manifests/etcd-pod.yaml":                       "kind: Pod\n",
	"etc/kubernetes/manifests/kube-apiserver-pod.yaml":             "kind: Pod\n",
	"etc/kubernetes/static-pod-resources/etcd-pod-3/etcd-pod.yaml": "kind: Pod\n",
	"var/lib/etcd/member/snap/db":                                  "etcd data\n",
}

// install writes the stand-ins and the master's directories.
func (m *Master) install() error {
	if err := os.MkdirAll(filepath.Join(m.Root, "home", m.o.User), 0o755); err != nil {
		return err
	}
	for name, content := range standins {
		path := filepath.Join(m.Root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if filepath.Ext(name) == ".sh" || filepath.Dir(name) == "sim-bin" {
			mode = 0o755
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			return err
		}
	}
	return nil
}
