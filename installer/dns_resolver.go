package installer

import (
	"context"
	"fmt"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/resolver"
)

// FileResolver records how the bastion was made to resolve the cluster
// (state directory), so that `okdctl down` undoes exactly that.
const FileResolver = "resolver.json"

// resolverInput: the cluster's domain goes to okdctl's DNS on the bastion.
func resolverInput(rc *RunContext) resolver.Input {
	s := rc.Spec()
	return resolver.Input{Cluster: rc.Cluster().Metadata.Name, Domain: rc.Cluster().ClusterDomain(),
		IP: s.Bastion.IP, Port: s.Bastion.Ports.DNS, RecordPath: rc.StatePath(FileResolver)}
}

// bastionResolverDone: in a sandbox there is nothing to do; on a real
// bastion the resolver sends the cluster's names to okdctl's DNS.
func bastionResolverDone(ctx context.Context, rc *RunContext) bool {
	return !resolvesThroughOkdctl(rc) || resolver.InPlace(ctx, rc.Host(), resolverInput(rc))
}

// resolvesThroughOkdctl: on a real bastion serving the records with
// okdctl's own CoreDNS; a site's DNS server (external or manual) is the
// bastion's resolver's business already, and a sandbox leaves the host alone.
func resolvesThroughOkdctl(rc *RunContext) bool {
	s := rc.Spec()
	return !rc.Sandbox() && s.DNS.External == nil && !s.DNS.Manual
}

// ensureBastionResolver makes the bastion resolve its cluster's names
// through okdctl's DNS (the bootstrap wait and the user's oc dial
// api.<cluster domain>), the way the host manages its resolver, and checks
// it with getent. A sandbox leaves the host's resolver alone.
func ensureBastionResolver(ctx context.Context, rc *RunContext) error {
	if !resolvesThroughOkdctl(rc) {
		return nil
	}
	in := resolverInput(rc)
	res, err := resolver.Ensure(ctx, rc.Host(), in)
	if err != nil {
		err = fmt.Errorf("failed to make the bastion resolve %s through okdctl's DNS: %w", in.Domain, err)
		if rc.DryRun() {
			rc.Log().Warnf("%v", err)
			return nil
		}
		return err
	}
	api := "api." + in.Domain
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("the bastion resolves %s through okdctl's DNS (%s): check with getent hosts %s", in.Domain, res.Method, api))
		return nil
	}
	if res.Changed {
		rc.Changed()
		rc.Log().Infof("the bastion resolves %s through okdctl's DNS at %s (%s%s); other names resolve as before", in.Domain, res.Server, res.Method, where(res.Record))
	}
	if rc.Host().Paths.Root != "" {
		return nil // a relocated root: the host's resolver is not the one configured
	}
	err = bastion.Poll(ctx, bastion.WaitOptions{What: "the bastion's resolver to answer " + api, Timeout: 20 * time.Second,
		Interval: 200 * time.Millisecond, Log: rc.Log().Progressf}, func(ctx context.Context) (bool, error) {
		return resolver.Resolves(ctx, rc.Host().Runner, api, in.IP), nil
	})
	if err != nil {
		return fmt.Errorf("failed to resolve %s on the bastion after configuring %s: %w (check `getent hosts %s` and `resolvectl status`)", api, res.Method, err, api)
	}
	return nil
}

func where(r resolver.Record) string {
	switch {
	case r.File != "":
		return ": " + r.File
	case r.Connection != "":
		return ": connection " + r.Connection + " on " + r.Link
	}
	return ""
}
