package installer

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/okdctl/okdctl/installer/cluster"
)

// CompletePhase is the complete phase: waits for install-complete and prints the console URL.
type CompletePhase struct{}

var (
	_ DryRunner = (*CompletePhase)(nil)
)

// Name implements Phase.
func (*CompletePhase) Name() string { return PhaseComplete }

// DryRun implements DryRunner.
func (*CompletePhase) DryRun(ctx context.Context, rc *RunContext) error {
	rc.Host().Note(fmt.Sprintf("wait up to %s for clusterversion/version Available, then print the console URL and %s",
		rc.Spec().Timeouts.Install.Duration, kubeadminPasswordFile(rc)))
	if plan := ScalePlanFor(rc.Cluster()); plan.EtcdOverride {
		rc.Host().Note("remove the unsupported single-member overrides the scale phase set")
	}
	return nil
}

// Run implements Phase.
func (*CompletePhase) Run(ctx context.Context, rc *RunContext) error {
	c, err := ClusterClients(rc)
	if err != nil {
		return err
	}
	res, err := cluster.WaitInstallComplete(ctx, cluster.CompleteOptions{Clients: c,
		Timeout: rc.Spec().Timeouts.Install.Duration, Log: rc.Log()})
	if err != nil {
		return err
	}
	if _, err := cluster.RemoveOverrides(ctx, c, ScalePlanFor(rc.Cluster()), rc.Log()); err != nil {
		return err
	}
	log := rc.Log()
	log.Infof("install complete: %s %s", rc.Cluster().Metadata.Name, res.Version)
	log.Infof("console: %s", res.ConsoleURL)
	log.Infof("log in as kubeadmin with the password in %s (okdctl never prints it)", kubeadminPasswordFile(rc))
	log.Infof("oc: export KUBECONFIG=%s", rc.Kubeconfig())
	return nil
}

// kubeadminPasswordFile is where openshift-install keeps the kubeadmin password.
func kubeadminPasswordFile(rc *RunContext) string {
	return filepath.Join(rc.InstallDir(), "auth", "kubeadmin-password")
}
