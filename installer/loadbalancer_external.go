package installer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/haproxy"
	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/verify"
	"k8s.io/client-go/tools/clientcmd"
)

// A site's own load balancer (spec.loadBalancer.external): okdctl writes no
// haproxy.cfg and runs no HAProxy. The loadbalancer phase writes the HAProxy
// sections the site needs under the state directory and verifies the
// frontends; at bootstrap-complete the bootstrap phase asks the user to take
// the bootstrap out and waits until it sees it out.

// HAProxySnippetPath is where the sections for the site's load balancer are written.
func HAProxySnippetPath(rc *RunContext) string { return rc.StatePath(FileHAProxySnippet) }

func externalFrontends(rc *RunContext) haproxy.Frontends {
	s := rc.Spec()
	lb, p := s.LoadBalancer.External, s.Bastion.Ports
	return haproxy.Frontends{API: lb.API, APIInt: lb.APIIntOrAPI(), Ingress: lb.Ingress, APIPort: p.API,
		MachineConfigPort: p.MachineConfig, HTTPPort: p.IngressHTTP, HTTPSPort: p.IngressHTTPS}
}

// VerifyLB is the load balancer as verify checks it, okdctl's or the site's.
func VerifyLB(rc *RunContext) *verify.LBInput {
	s := rc.Spec()
	p := s.Bastion.Ports
	done := Bootstrapped(rc)
	l := &verify.LBInput{API: s.Bastion.IP, APIInt: s.Bastion.IP, Ingress: s.Bastion.IP, APIPort: p.API,
		MachineConfigPort: p.MachineConfig, HTTPPort: p.IngressHTTP, HTTPSPort: p.IngressHTTPS,
		NodesUp: done, BootstrapDone: done}
	if lb := s.LoadBalancer.External; lb != nil {
		l.API, l.APIInt, l.Ingress, l.StatsURL, l.External = lb.API, lb.APIIntOrAPI(), lb.Ingress, lb.StatsURL, true
	} else {
		l.StatsURL = "http://" + haproxy.Listeners(s.Bastion.IP, haproxy.Ports{Stats: p.Stats})["stats"] + "/"
	}
	for _, n := range s.NodesWithRole(spec.RoleBootstrap) {
		l.BootstrapIP, l.BootstrapName = n.IP, n.Name
	}
	l.APIName, l.CASource = "api."+rc.Cluster().ClusterDomain(), rc.Kubeconfig()
	l.APICA = clusterCA(rc.Kubeconfig())
	l.MCSName, l.MCSSource = "api-int."+rc.Cluster().ClusterDomain(), filepath.Join(rc.InstallDir(), "master.ign")
	l.MCSCA = pointerCAs(rc, l.MCSSource)
	return l
}

// pointerCAs are the CAs (PEM) a pointer ignition trusts for the machine
// config server (nil before ignition made it): what a booting node's
// Ignition trusts api-int:22623 with.
func pointerCAs(rc *RunContext, path string) []byte {
	data, err := rc.Host().Files.ReadFile(path)
	if err != nil {
		return nil
	}
	cas, err := ignition.InlineCAs(data)
	if err != nil {
		return nil
	}
	return bytes.Join(cas, []byte("\n"))
}

// clusterCA is the CA bundle of a kubeconfig's current cluster (nil
// before ignition made the kubeconfig): what oc trusts the API with.
func clusterCA(path string) []byte {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil
	}
	kctx := cfg.Contexts[cfg.CurrentContext]
	if kctx == nil || cfg.Clusters[kctx.Cluster] == nil {
		return nil
	}
	cl := cfg.Clusters[kctx.Cluster]
	if len(cl.CertificateAuthorityData) == 0 && cl.CertificateAuthority != "" {
		data, _ := os.ReadFile(cl.CertificateAuthority)
		return data
	}
	return cl.CertificateAuthorityData
}

func (p *LoadBalancerPhase) snippet(rc *RunContext) ([]byte, error) {
	return haproxy.RenderSnippet(p.haproxyInput(rc), externalFrontends(rc))
}

// runExternal writes the sections for the site's load balancer and
// verifies that its frontends accept.
func (p *LoadBalancerPhase) runExternal(ctx context.Context, rc *RunContext) error {
	data, err := p.snippet(rc)
	if err != nil {
		return err
	}
	changed, err := rc.Host().Files.WriteFile(HAProxySnippetPath(rc), data, 0o644)
	if err != nil {
		return err
	}
	if changed {
		rc.Changed()
	}
	rc.Log().Infof("the site's load balancer needs the HAProxy sections in %s (okdctl runs none itself)", HAProxySnippetPath(rc))
	if rc.DryRun() {
		rc.Host().Note("verify that the load balancer's frontends accept: " + frontendsText(rc))
		return nil
	}
	if bad := listenerFailures(ctx, rc); len(bad) > 0 {
		return fmt.Errorf("the load balancer's frontends do not accept yet:\n  %s\nconfigure it from %s, then run okdctl apply --from loadbalancer",
			strings.Join(bad, "\n  "), HAProxySnippetPath(rc))
	}
	rc.Log().Infof("the load balancer accepts on %s", frontendsText(rc))
	return nil
}

func frontendsText(rc *RunContext) string {
	f := externalFrontends(rc)
	return fmt.Sprintf("api %s:%d, api-int %s:%d and :%d, ingress %s:%d/%d", f.API, f.APIPort, f.APIInt, f.APIPort,
		f.MachineConfigPort, f.Ingress, f.HTTPPort, f.HTTPSPort)
}

// listenerFailures are the load balancer's frontends (okdctl's HAProxy or
// the site's) that do not accept: the loadbalancer phase's result check is
// verify's own listener checks (health checks of the backends come later,
// in verify, once the masters run).
func listenerFailures(ctx context.Context, rc *RunContext) []string {
	l := VerifyLB(rc)
	l.ListenersOnly = true
	return verify.Failed(l.Check(ctx))
}

// doneExternal: the sections are the wanted ones and every frontend accepts.
func (p *LoadBalancerPhase) doneExternal(ctx context.Context, rc *RunContext) (bool, error) {
	want, err := p.snippet(rc)
	if err != nil {
		return false, err
	}
	if live, err := rc.Host().Files.ReadFile(HAProxySnippetPath(rc)); err != nil || !bytes.Equal(live, want) {
		return false, nil
	}
	return len(listenerFailures(ctx, rc)) == 0, nil
}

// removeBootstrapExternal rewrites the sections without the bootstrap,
// tells the user to take it out of the site's load balancer and waits
// until verify sees it out.
func (p *LoadBalancerPhase) removeBootstrapExternal(ctx context.Context, rc *RunContext) (bool, error) {
	mark := []byte("bootstrap complete: the bootstrap servers are out of the load balancer's sections\n")
	if _, err := rc.Host().Files.WriteFile(rc.StatePath(FileBootstrapRemoved), mark, 0o644); err != nil {
		return false, err
	}
	data, err := p.snippet(rc)
	if err != nil {
		return false, err
	}
	changed, err := rc.Host().Files.WriteFile(HAProxySnippetPath(rc), data, 0o644)
	if err != nil {
		return false, err
	}
	l := VerifyLB(rc)
	l.BootstrapDone = true
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("ask for the bootstrap %s to leave the load balancer and wait until it is out", l.BootstrapIP))
		return changed, nil
	}
	if out, _, err := l.BootstrapOut(ctx); err == nil && out {
		return changed, nil
	}
	rc.Log().Warnf("bootstrap is complete: remove the bootstrap %s from the 6443 and 22623 backends of the load balancer (the sections without it: %s) and shut the bootstrap machine down; okdctl waits until it is out (okdctl apply --skip bootstrap goes on without waiting)",
		l.BootstrapIP, HAProxySnippetPath(rc))
	var how string
	wait := bastion.WaitOptions{What: "the bootstrap " + l.BootstrapIP + " to leave the load balancer", Timeout: rc.Spec().Timeouts.Bootstrap.Duration,
		Interval: 2 * time.Second, Log: rc.Log().Progressf}
	err = bastion.Poll(ctx, wait, func(ctx context.Context) (bool, error) {
		out, h, err := l.BootstrapOut(ctx)
		how = h
		return out, err
	})
	if err != nil {
		return changed, fmt.Errorf("the bootstrap is still behind the load balancer (%s): %w", how, err)
	}
	rc.Log().Infof("the bootstrap is out of the load balancer: %s", how)
	return true, nil
}
