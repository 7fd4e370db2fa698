package day2

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
)

// ClusterRestoreOptions configures a restore of the cluster's etcd.
type ClusterRestoreOptions struct {
	SSH SSHOptions
	// Master is the recovery master's spec name (default: the first master).
	Master string
	// From is a backup directory (default: the newest).
	From    string
	Yes     bool
	Confirm Confirm
}

// staticPods are the manifests the docs move off the other masters before
// the restore, so that their etcd and API server stop.
var staticPods = []string{"etcd-pod.yaml", "kube-apiserver-pod.yaml"}

// RestoreClusterEtcd follows OpenShift's documented recovery procedure
// ("restoring to a previous cluster state"): copy the backup to the
// recovery master, stop the static etcd and API server pods and move etcd's
// data aside on every other master, run cluster-restore.sh on the recovery
// master, and restart the kubelets. It returns the documented steps that
// remain (approving CSRs, forcing the operators to redeploy).
func RestoreClusterEtcd(ctx context.Context, rc *installer.RunContext, o ClusterRestoreOptions) (string, error) {
	o.SSH = o.SSH.withDefaults(rc.StateDir(), rc.Spec().SSHKeyFile)
	b, err := pickClusterBackup(rc, o.From)
	if err != nil {
		return "", err
	}
	recovery, others, err := recoveryMasters(rc, o.Master)
	if err != nil {
		return "", err
	}
	ts := stamp(rc.Now())
	plan := restorePlan{b: b, recovery: recovery, others: others, ts: ts,
		remoteDir: homeOf(o.SSH.User) + "/okdctl-restore-" + ts, podsDir: homeOf(o.SSH.User) + "/okdctl-static-pods-" + ts}
	if err := confirmed(o.Yes, o.Confirm, "restore the cluster's etcd", plan.summary()); err != nil {
		return "", err
	}
	lock, err := installer.AcquireLock(rc.StateDir())
	if err != nil {
		return "", err
	}
	defer lock.Release()
	conns, err := connectAll(ctx, rc, append([]spec.Node{recovery}, others...), o.SSH)
	if err != nil {
		return "", fmt.Errorf("%w\nnothing was changed: the procedure needs SSH to every master", err)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err := plan.run(ctx, rc, conns); err != nil {
		return "", err
	}
	return plan.nextSteps(rc), nil
}

func homeOf(user string) string {
	if user == "root" {
		return "/root"
	}
	return "/home/" + user
}

func pickClusterBackup(rc *installer.RunContext, from string) (*ClusterBackup, error) {
	dir := from
	if dir == "" {
		var err error
		if dir, err = newest(ClusterBackupDir(rc), "", "cluster etcd"); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return ReadClusterBackup(abs)
}

// recoveryMasters splits the masters into the recovery one and the others.
func recoveryMasters(rc *installer.RunContext, name string) (spec.Node, []spec.Node, error) {
	masters := rc.Spec().NodesWithRole(spec.RoleMaster)
	if len(masters) == 0 {
		return spec.Node{}, nil, fmt.Errorf("the spec has no master")
	}
	if name == "" {
		name = masters[0].Name
	}
	var rec *spec.Node
	var others []spec.Node
	for i, m := range masters {
		if m.Name == name {
			rec = &masters[i]
		} else {
			others = append(others, m)
		}
	}
	if rec == nil {
		return spec.Node{}, nil, fmt.Errorf("%q is not a master of the spec: pass one of %s", name, strings.Join(nodeNamesOf(masters), ", "))
	}
	return *rec, others, nil
}

// connectAll logs in to every master, in order, or fails on the first that refuses.
func connectAll(ctx context.Context, rc *installer.RunContext, nodes []spec.Node, o SSHOptions) ([]*remote, error) {
	var out []*remote
	for _, n := range nodes {
		r, err := dialSSH(ctx, n.Name, n.IP, o, rc.Log().Infof)
		if err != nil {
			for _, c := range out {
				c.Close()
			}
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// restorePlan is one run of the recovery procedure.
type restorePlan struct {
	b                  *ClusterBackup
	recovery           spec.Node
	others             []spec.Node
	ts                 string
	remoteDir, podsDir string
}

func (p restorePlan) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "restore the cluster's etcd from %s (taken %s on %s, snapshot revision %d, %d keys), following OpenShift's recovery procedure:\n",
		p.b.Dir, p.b.Taken.Format("2006-01-02 15:04:05 MST"), p.b.Master, p.b.Snapshot.Revision, p.b.Snapshot.Keys)
	fmt.Fprintf(&b, "  1. copy the backup to the recovery master %s (%s) into %s\n", p.recovery.Name, p.recovery.IP, p.remoteDir)
	if len(p.others) > 0 {
		fmt.Fprintf(&b, "  2. on %s: move %s out of /etc/kubernetes/manifests into %s, wait for those containers to stop, move /var/lib/etcd to /var/lib/etcd.okdctl-%s\n",
			strings.Join(nodeNamesOf(p.others), ", "), strings.Join(staticPods, " and "), p.podsDir, p.ts)
	}
	fmt.Fprintf(&b, "  3. on %s: sudo -E %s %s\n", p.recovery.Name, restoreScript, p.remoteDir)
	b.WriteString("  4. restart the kubelet on every master\n")
	b.WriteString("everything the cluster wrote since the backup is lost; the API is down for several minutes")
	return b.String()
}

// run carries out the steps; an error says how far it got.
func (p restorePlan) run(ctx context.Context, rc *installer.RunContext, conns []*remote) error {
	rec := conns[0]
	if _, err := rec.output(ctx, "mkdir -p -m 0700 "+shellQuote(p.remoteDir)); err != nil {
		return fmt.Errorf("failed to prepare %s on %s: %w (nothing was changed)", p.remoteDir, rec.name, err)
	}
	for _, f := range p.b.Files {
		if err := rec.upload(ctx, filepath.Join(p.b.Dir, f.Name), p.remoteDir+"/"+f.Name, f.SHA256); err != nil {
			return fmt.Errorf("%w (nothing was changed)", err)
		}
	}
	rc.Log().Infof("1. the backup is on %s in %s (sha256 checked)", rec.name, p.remoteDir)
	for i, r := range conns[1:] {
		out, err := r.output(ctx, p.stopStaticPodsScript())
		if err != nil {
			return fmt.Errorf("failed to stop the static pods on %s: %w\n%s", r.name, err, p.undoHint(conns[1:i+2]))
		}
		rc.Log().Infof("2. %s: etcd and the API server stopped, etcd's data moved aside\n%s", r.name, strings.TrimSpace(out))
	}
	out, err := rec.output(ctx, "sudo -E "+restoreScript+" "+shellQuote(p.remoteDir))
	if err != nil {
		return fmt.Errorf("cluster-restore.sh failed on %s: %w\n%s", rec.name, err, p.undoHint(conns[1:]))
	}
	rc.Log().Infof("3. %s restored etcd on %s: %s", restoreScript, rec.name, lastLine(out))
	for _, r := range conns {
		if _, err := r.output(ctx, "sudo systemctl restart kubelet.service"); err != nil {
			return fmt.Errorf("the restore is done, but restarting the kubelet failed: %w; run sudo systemctl restart kubelet.service on %s by hand", err, r.name)
		}
	}
	rc.Log().Infof("4. the kubelet restarted on %s", strings.Join(remoteNames(conns), ", "))
	return nil
}

// stopStaticPodsScript moves etcd's and the API server's static pods away,
// waits until their containers are gone, and moves etcd's data aside.
func (p restorePlan) stopStaticPodsScript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "set -e; d=%s; mkdir -p -m 0700 \"$d\"; ", shellQuote(p.podsDir))
	for _, f := range staticPods {
		fmt.Fprintf(&b, "if sudo test -e /etc/kubernetes/manifests/%[1]s; then sudo mv -v /etc/kubernetes/manifests/%[1]s \"$d/\"; fi; ", f)
	}
	b.WriteString("i=0; while sudo crictl ps | grep -E 'etcd|kube-apiserver' | grep -Ev 'operator|guard' >/dev/null; do " +
		"i=$((i+1)); if [ $i -ge 150 ]; then echo 'etcd or kube-apiserver containers still run after 5 minutes' >&2; exit 1; fi; sleep 2; done; ")
	fmt.Fprintf(&b, "if sudo test -e /var/lib/etcd; then sudo mv -v /var/lib/etcd /var/lib/etcd.okdctl-%s; fi", p.ts)
	return b.String()
}

// undoHint says how to bring the stopped masters back as they were.
func (p restorePlan) undoHint(stopped []*remote) string {
	if len(stopped) == 0 {
		return "nothing else was changed"
	}
	return fmt.Sprintf("to undo on %s: sudo mv /var/lib/etcd.okdctl-%s /var/lib/etcd; sudo mv %s/*.yaml /etc/kubernetes/manifests/",
		strings.Join(remoteNames(stopped), ", "), p.ts, p.podsDir)
}

func remoteNames(rs []*remote) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.name)
	}
	return out
}

// nextSteps are the documented steps left to a person with oc.
func (p restorePlan) nextSteps(rc *installer.RunContext) string {
	kc := rc.Kubeconfig()
	var b strings.Builder
	fmt.Fprintf(&b, "etcd is restored on %s. The documented steps that remain (export KUBECONFIG=%s):\n", p.recovery.Name, kc)
	b.WriteString("  5. approve the masters' pending kubelet CSRs, verified against the spec: okdctl approve-csrs\n")
	b.WriteString("  6. check that the single etcd member runs: oc -n openshift-etcd get pods -l k8s-app=etcd\n")
	b.WriteString("  7. force etcd to redeploy: oc patch etcd cluster -p='{\"spec\": {\"forceRedeploymentReason\": \"recovery-'\"$( date --rfc-3339=ns )\"'\"}}' --type=merge\n")
	b.WriteString("     and wait for AllNodesAtLatestRevision: oc get etcd -o=jsonpath='{range .items[0].status.conditions[?(@.type==\"NodeInstallerProgressing\")]}{.reason}{\"\\n\"}{.message}{\"\\n\"}'\n")
	for _, op := range []string{"kubeapiserver", "kubecontrollermanager", "kubescheduler"} {
		fmt.Fprintf(&b, "  8. force %s to redeploy: oc patch %s cluster -p='{\"spec\": {\"forceRedeploymentReason\": \"recovery-'\"$( date --rfc-3339=ns )\"'\"}}' --type=merge\n", op, op)
	}
	b.WriteString("  9. check that every master runs etcd again: oc -n openshift-etcd get pods -l k8s-app=etcd\n")
	if len(p.others) > 0 {
		fmt.Fprintf(&b, "the moved static pod manifests stay in %s and the old etcd data in /var/lib/etcd.okdctl-%s on %s: remove them once the cluster is healthy",
			p.podsDir, p.ts, strings.Join(nodeNamesOf(p.others), ", "))
	}
	return b.String()
}
