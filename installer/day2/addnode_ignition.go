package day2

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/spec"
)

// workerIgnition finds the ignition a new worker merges: the running
// cluster's (openshift-machine-api/worker-user-data-managed, then
// worker-user-data), else the install directory's worker.ign while the CA
// it trusts the machine config server with is valid.
func workerIgnition(ctx context.Context, rc *installer.RunContext) ([]byte, string, error) {
	clients, err := installer.ClusterClients(rc)
	if err != nil {
		return nil, "", err
	}
	data, src, err := cluster.WorkerIgnition(ctx, clients.Kube)
	if err == nil {
		if err := ignition.Validate(data); err != nil {
			return nil, "", fmt.Errorf("the worker ignition of %s does not parse: %w", src, err)
		}
		return data, src, nil
	}
	if !errors.Is(err, cluster.ErrNoUserData) {
		return nil, "", err
	}
	path := installer.InstallDirFile(rc, "worker.ign")
	data, ferr := os.ReadFile(path)
	if ferr != nil {
		return nil, "", fmt.Errorf("%v, and %w", err, ferr)
	}
	ca, cerr := pointerCA(data)
	if cerr != nil {
		return nil, "", fmt.Errorf("failed to use %s: %w", path, cerr)
	}
	if !rc.Now().Before(ca.NotAfter) {
		return nil, "", fmt.Errorf("the CA in %s (%s) expired at %s: take the cluster's worker ignition instead "+
			"(oc extract -n %s secret/%s --keys=userData --to=- > %s)", path, ca.Subject, ca.NotAfter.UTC().Format(time.RFC3339),
			cluster.MachineAPINamespace, cluster.WorkerUserDataMgd, path)
	}
	rc.Log().Infof("%v: using %s (its CA is valid until %s)", err, path, ca.NotAfter.UTC().Format(time.DateOnly))
	return data, path, nil
}

// pointerCA is the soonest-expiring CA a pointer ignition trusts.
func pointerCA(raw []byte) (*x509.Certificate, error) {
	cas, err := ignition.InlineCAs(raw)
	if err != nil {
		return nil, err
	}
	var soonest *x509.Certificate
	for _, pem := range cas {
		c, err := parsePEM(pem)
		if err == nil && (soonest == nil || c.NotAfter.Before(soonest.NotAfter)) {
			soonest = c
		}
	}
	if soonest == nil {
		return nil, errors.New("it trusts no inline CA: not openshift-install's pointer ignition")
	}
	return soonest, nil
}

// nodeIgnitionPhase publishes one new node's ignition: its role's ignition
// from the running cluster, merged with its hostname and static network,
// with its hash recorded where the boot lines and the web server's
// verification read it. The other nodes' files are left as they are.
type nodeIgnitionPhase struct {
	node   spec.Node
	role   []byte
	source string
}

var (
	_ installer.Checker       = (*nodeIgnitionPhase)(nil)
	_ installer.InputProvider = (*nodeIgnitionPhase)(nil)
)

// Name implements installer.Phase: the state key of add-node's ignition.
func (p *nodeIgnitionPhase) Name() string { return "add-node-ignition" }

// Describe implements installer.Describer.
func (p *nodeIgnitionPhase) Describe() string {
	return "the new node's ignition from the running cluster's " + p.node.Role + " ignition"
}

// Inputs implements installer.InputProvider.
func (p *nodeIgnitionPhase) Inputs(rc *installer.RunContext) (any, error) {
	return map[string]any{"node": installer.NodeIgnition(rc.Cluster(), p.node), "role": ignition.SHA512(p.role)}, nil
}

func (p *nodeIgnitionPhase) render(rc *installer.RunContext) ([]byte, error) {
	return ignition.NodeConfig(installer.NodeIgnition(rc.Cluster(), p.node), p.role)
}

func (p *nodeIgnitionPhase) path(rc *installer.RunContext) string {
	return filepath.Join(rc.IgnitionWebDir(), p.node.Name+".ign")
}

// Done implements installer.Checker: published as rendered and recorded.
func (p *nodeIgnitionPhase) Done(ctx context.Context, rc *installer.RunContext) (bool, error) {
	want, err := p.render(rc)
	if err != nil {
		return false, err
	}
	hashes, err := installer.ReadIgnitionHashes(rc.StateDir())
	if err != nil {
		return false, err
	}
	have, err := os.ReadFile(p.path(rc))
	return err == nil && string(have) == string(want) && hashes[p.node.Name] == ignition.SHA512(want), nil
}

// Run implements installer.Phase.
func (p *nodeIgnitionPhase) Run(ctx context.Context, rc *installer.RunContext) error {
	data, err := p.render(rc)
	if err != nil {
		return err
	}
	files := rc.Host().Files
	if err := files.MkdirAll(rc.IgnitionWebDir(), 0o755); err != nil {
		return err
	}
	if _, err := files.WriteFile(p.path(rc), data, 0o644); err != nil {
		return err
	}
	hashes, err := installer.ReadIgnitionHashes(rc.StateDir())
	if err != nil {
		return err
	}
	hashes[p.node.Name] = ignition.SHA512(data)
	doc, _ := json.MarshalIndent(hashes, "", "  ")
	if _, err := files.WriteFile(rc.StatePath(installer.FileIgnitionHashes), append(doc, '\n'), 0o644); err != nil {
		return err
	}
	rc.Log().Infof("published the ignition of %s (from %s) as %s, %s", p.node.Name, p.source, p.path(rc), hashes[p.node.Name])
	return nil
}
