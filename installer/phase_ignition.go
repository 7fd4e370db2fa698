package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/spec"
)

// IgnitionPhase is the ignition phase: openshift-install create ignition-configs and per-node ignition.
// Each node's ignition (its role's config merged, its hostname, its static
// network) is published 0644 to IgnitionWebDir; nothing else of the install
// directory is. Ignition whose certificates are older than 12 h is made
// again (the old directory kept); expired ignition is never served.
type IgnitionPhase struct{}

var (
	_ InputProvider = (*IgnitionPhase)(nil)
	_ Checker       = (*IgnitionPhase)(nil)
)

// Name implements Phase.
func (*IgnitionPhase) Name() string { return PhaseIgnition }

// Inputs implements InputProvider: what the per-node configs are made of.
func (p *IgnitionPhase) Inputs(rc *RunContext) (any, error) {
	var nodes []ignition.Node
	for _, n := range rc.Spec().Nodes {
		nodes = append(nodes, NodeIgnition(rc.Cluster(), n))
	}
	return map[string]any{"nodes": nodes, "webDir": rc.IgnitionWebDir()}, nil
}

// Done implements Checker: the ignition is current, fresh (until the
// cluster has bootstrapped) and published as recorded.
func (p *IgnitionPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	plan, err := planManifests(rc)
	if err != nil {
		return false, err
	}
	if st := readStamp(rc); st.Stage != stageIgnition || !installDirCurrent(rc, plan.digest) {
		return false, nil
	}
	if !Bootstrapped(rc) {
		if f, _, err := ignitionFreshness(rc); err != nil || f != ignition.Fresh {
			return false, err
		}
	}
	return publishedAsRecorded(rc)
}

// Run implements Phase.
func (p *IgnitionPhase) Run(ctx context.Context, rc *RunContext) error {
	plan, err := planManifests(rc)
	if err != nil {
		return err
	}
	if !installDirCurrent(rc, plan.digest) {
		if err := makeManifests(ctx, rc, plan, "it does not match the spec"); err != nil {
			return err
		}
	}
	if readStamp(rc).Stage != stageIgnition {
		if err := makeIgnition(ctx, rc, plan); err != nil {
			return err
		}
	}
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("publish the ignition of %d nodes to %s", len(publishedNodes(rc)), rc.IgnitionWebDir()))
		return nil
	}
	if err := checkFreshness(ctx, rc, plan); err != nil {
		return err
	}
	return publishIgnition(rc)
}

// makeIgnition runs create ignition-configs on the manifests, or again on
// what an interrupted run left in openshift-install's state file.
func makeIgnition(ctx context.Context, rc *RunContext, plan *manifestsPlan) error {
	drv, err := newDriver(ctx, rc)
	if err != nil {
		return err
	}
	if !rc.DryRun() {
		st := readStamp(rc)
		if st.Stage == stageIgnitionStarted {
			rc.Log().Infof("resuming the interrupted create ignition-configs in %s from openshift-install's state file (same manifests, same cluster CA)", rc.InstallDir())
		}
		if err := writeStamp(rc, installStamp{Digest: plan.digest, Stage: stageIgnitionStarted, Made: st.Made}); err != nil {
			return err
		}
	}
	if err := drv.CreateIgnitionConfigs(ctx, rc.InstallDir()); err != nil {
		return err
	}
	if rc.DryRun() {
		return nil
	}
	if pw, err := os.ReadFile(filepath.Join(rc.InstallDir(), "auth", "kubeadmin-password")); err == nil {
		rc.Log().AddSecret(strings.TrimSpace(string(pw)))
	}
	rc.Log().Infof("ignition made in %s; the kubeadmin password is in %s", rc.InstallDir(), filepath.Join(rc.InstallDir(), "auth", "kubeadmin-password"))
	rc.Changed()
	return writeStamp(rc, installStamp{Digest: plan.digest, Stage: stageIgnition, Made: rc.Now().UTC()})
}

// checkFreshness makes stale ignition again and refuses expired ignition
// (taking it off the web server), until the cluster has bootstrapped.
func checkFreshness(ctx context.Context, rc *RunContext, plan *manifestsPlan) error {
	if Bootstrapped(rc) {
		return nil
	}
	f, w, err := ignitionFreshness(rc)
	if err != nil {
		return err
	}
	switch f {
	case ignition.Expired:
		if err := unpublishIgnition(rc); err != nil {
			return err
		}
		return fmt.Errorf("the ignition in %s expired at %s (made %s): okdctl does not serve it, and nodes installed from it cannot join; wipe any such node, then run `okdctl apply --force manifests` to make new ignition (the old install directory is kept beside it)",
			rc.InstallDir(), w.Expires.UTC().Format(time.RFC3339), w.Issued.UTC().Format(time.RFC3339))
	case ignition.Stale:
		rc.Log().Warnf("the ignition in %s was made %s, more than %s ago (its certificates expire at %s): making new ignition",
			rc.InstallDir(), w.Issued.UTC().Format(time.RFC3339), ignition.StaleAfter, w.Expires.UTC().Format(time.RFC3339))
		if err := makeManifests(ctx, rc, plan, "its ignition is stale"); err != nil {
			return err
		}
		if err := makeIgnition(ctx, rc, plan); err != nil {
			return err
		}
		_, w, err = ignitionFreshness(rc)
		if err != nil {
			return err
		}
	}
	rc.Log().Infof("ignition certificates made %s, expire %s: boot every node before %s",
		w.Issued.UTC().Format(time.RFC3339), w.Expires.UTC().Format(time.RFC3339), w.Issued.Add(ignition.StaleAfter).UTC().Format(time.RFC3339))
	return nil
}

// publishedNodes are the nodes whose ignition is served: all of them until
// the cluster has bootstrapped, then all but the bootstrap node.
func publishedNodes(rc *RunContext) []spec.Node {
	var out []spec.Node
	for _, n := range rc.Spec().Nodes {
		if n.Role == spec.RoleBootstrap && Bootstrapped(rc) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// NodeIgnition is a spec node as the ignition package sees it.
func NodeIgnition(c *spec.Cluster, n spec.Node) ignition.Node {
	prefix, _ := netip.ParsePrefix(c.Spec.Network.MachineCIDR)
	return ignition.Node{Name: n.Name, Role: n.Role, FQDN: c.FQDN(n), NIC: n.NIC, IP: n.IP,
		PrefixLen: prefix.Bits(), Gateway: c.Spec.Network.Gateway,
		DNS: []string{c.Spec.NameserverIP()}, SearchDomains: []string{c.ClusterDomain()}}
}

// publishIgnition writes every node's ignition (0644) into the web
// directory, removes any other file there and records the hashes.
func publishIgnition(rc *RunContext) error {
	dir := rc.IgnitionWebDir()
	if err := rc.Host().Files.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	roles := map[string][]byte{}
	hashes := map[string]string{}
	keep := map[string]bool{}
	for _, n := range publishedNodes(rc) {
		if roles[n.Role] == nil {
			data, err := rc.Host().Files.ReadFile(filepath.Join(rc.InstallDir(), n.Role+".ign"))
			if err != nil {
				return fmt.Errorf("failed to read the %s ignition: %w", n.Role, err)
			}
			roles[n.Role] = data
		}
		data, err := ignition.NodeConfig(NodeIgnition(rc.Cluster(), n), roles[n.Role])
		if err != nil {
			return err
		}
		if _, err := rc.Host().Files.WriteFile(filepath.Join(dir, n.Name+".ign"), data, 0o644); err != nil {
			return err
		}
		hashes[n.Name], keep[n.Name+".ign"] = ignition.SHA512(data), true
	}
	if err := removeOthers(rc, dir, keep); err != nil {
		return err
	}
	doc, _ := json.MarshalIndent(hashes, "", "  ")
	if _, err := rc.Host().Files.WriteFile(rc.StatePath(FileIgnitionHashes), append(doc, '\n'), 0o644); err != nil {
		return err
	}
	rc.Log().Infof("published the ignition of %d nodes in %s", len(hashes), dir)
	return nil
}

// unpublishIgnition takes every node's ignition off the web server.
func unpublishIgnition(rc *RunContext) error {
	if err := removeOthers(rc, rc.IgnitionWebDir(), nil); err != nil {
		return err
	}
	_, err := rc.Host().Files.Remove(rc.StatePath(FileIgnitionHashes))
	return err
}

func removeOthers(rc *RunContext, dir string, keep map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("failed to list %s: %w", dir, err)
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			if _, err := rc.Host().Files.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// publishedAsRecorded reports whether the web directory serves exactly
// the recorded ignition.
func publishedAsRecorded(rc *RunContext) (bool, error) {
	hashes, err := ReadIgnitionHashes(rc.StateDir())
	if err != nil {
		return false, err
	}
	// a node no longer published (the bootstrap node after bootstrap) may
	// keep its recorded hash, but not its file; every published one must
	// match its own hash
	entries, _ := os.ReadDir(rc.IgnitionWebDir())
	if len(entries) != len(publishedNodes(rc)) {
		return false, nil
	}
	for _, n := range publishedNodes(rc) {
		data, err := os.ReadFile(filepath.Join(rc.IgnitionWebDir(), n.Name+".ign"))
		if err != nil || ignition.SHA512(data) != hashes[n.Name] {
			return false, nil
		}
	}
	return true, nil
}

// ReadIgnitionHashes reads the ignition phase's node -> sha512-<hex>
// record from a state directory; none yet is an empty map.
func ReadIgnitionHashes(stateDir string) (map[string]string, error) {
	hashes := map[string]string{}
	data, err := os.ReadFile(filepath.Join(stateDir, FileIgnitionHashes))
	if os.IsNotExist(err) {
		return hashes, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the ignition hashes: %w", err)
	}
	if err := json.Unmarshal(data, &hashes); err != nil {
		return nil, fmt.Errorf("failed to read the ignition hashes %s: %w (run the ignition phase again)", filepath.Join(stateDir, FileIgnitionHashes), err)
	}
	return hashes, nil
}
