package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

// TestRehearsalOneExternalService installs the sandbox cluster with one
// bastion service at a time replaced by the site's (TestRehearsalExistingInfra
// has all three at once): its DNS server kept by signed dynamic updates, or
// by hand from okdctl's zone fragments (spec.dns.manual), its load balancer,
// or its registry. The bastion runs every other service itself, the install
// finishes, and verify passes.
func TestRehearsalOneExternalService(t *testing.T) {
	if testing.Short() {
		t.Skip("each rehearsal takes a minute; make test runs them")
	}
	for _, mode := range []string{"dns", "dns-manual", "loadbalancer", "registry"} {
		t.Run(mode, func(t *testing.T) { rehearseOneExternal(t, mode) })
	}
}

// ownServices are the sandbox services okdctl runs for each bastion service.
var ownServices = map[string][]string{"dns": {"okdctl-etcd", "okdctl-coredns"}, "dns-manual": {"okdctl-etcd", "okdctl-coredns"},
	"loadbalancer": {"okdctl-haproxy"}, "registry": {"okdctl-registry"}}

func rehearseOneExternal(t *testing.T, mode string) {
	r := newRehearsal(t)
	st := &site{}
	switch mode {
	case "dns", "dns-manual":
		st.startBIND(t, nil, 0)
		r.siteSecrets = map[string]string{"the site's TSIG secret": st.bind.Secret}
	case "registry":
		st.startRegistry(t)
		r.siteSecrets = map[string]string{"the site's registry password": st.registry.Password}
	}
	r.spec = r.variant(mode, func(c *spec.Cluster) {
		switch mode {
		case "dns":
			c.Spec.DNS.External = &spec.ExternalDNS{Server: st.bind.Addr, Zone: "okd.test", ReverseZones: []string{"1.0.127.in-addr.arpa"},
				TSIGKey: spec.TSIGKey{Name: strings.TrimSuffix(st.bind.KeyName, "."), Algorithm: "hmac-sha256", SecretFile: st.bind.KeyFile(t, r.dir)}}
		case "dns-manual":
			c.Spec.DNS.Manual, c.Spec.DNS.Server = true, st.bind.Addr
		case "loadbalancer":
			c.Spec.LoadBalancer.External = &spec.ExternalLoadBalancer{API: bastionIP, Ingress: bastionIP,
				StatsURL: fmt.Sprintf("http://%s:%d/", bastionIP, c.Spec.Bastion.Ports.Stats)}
		case "registry":
			c.Spec.Registry.Enabled = nil
			c.Spec.Registry.External = &spec.ExternalRegistry{Host: st.registry.Host(), IP: st.registry.IP, CAFile: st.caFile, AuthFile: st.authFile}
		}
	})
	var err error
	if r.cluster, err = spec.LoadFile(r.spec); err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "dns-manual":
		st.loadManualZones(t, r)
	case "loadbalancer":
		st.startLB(t, r, true)
		go st.dropBootstrapWhenAsked(testenv.Context(t, 5*time.Minute), t, r)
	}
	r.install(t)

	running := r.servicePIDs()
	for _, name := range []string{"okdctl-etcd", "okdctl-coredns", "okdctl-haproxy", "okdctl-nginx", "okdctl-registry"} {
		own := !strings.Contains(strings.Join(ownServices[mode], " "), name)
		if _, runs := running[name]; runs != own {
			t.Errorf("with the site's %s, the bastion runs %s: %t, want %t", mode, name, runs, own)
		}
	}
	if mode == "registry" {
		ic, err := os.ReadFile(filepath.Join(r.stateDir(), installer.FileInstallConfig))
		if err != nil || !strings.Contains(string(ic), st.registry.Host()) {
			t.Errorf("install-config does not mirror to the site's registry (%v)", err)
		}
	}
	vout, code := r.run("verify")
	r.outputs.WriteString(vout)
	if code != 0 || !strings.Contains(vout, "verify: passed") {
		t.Errorf("verify with the site's %s (exit %d):\n%s", mode, code, vout)
	}
	r.auditSecrets(t)
}

// loadManualZones plays the site's DNS team for spec.dns.manual: apply
// stops at the dns phase, naming the zone fragments it wrote and the
// server that does not answer them yet; the team $INCLUDEs them into its
// zones (BIND restarted on the same address), and the next apply goes on.
func (st *site) loadManualZones(t *testing.T, r *rehearsal) {
	t.Helper()
	out, code := r.run("apply", "--only", "preflight,dns")
	dir := filepath.Join(r.stateDir(), installer.DirManualDNS)
	if code != 1 || !strings.Contains(out, "failed to verify the DNS records") || !strings.Contains(out, dir) {
		t.Fatalf("apply before the fragments are loaded should stop at dns, naming %s (exit %d):\n%s", dir, code, out)
	}
	_, port, _ := strings.Cut(st.bind.Addr, ":")
	p, _ := strconv.Atoi(port)
	st.startBIND(t, map[string][]string{
		"okd.test.":             {"$INCLUDE " + filepath.Join(dir, "forward.zone")},
		"1.0.127.in-addr.arpa.": {"$INCLUDE " + filepath.Join(dir, "reverse.zone")},
	}, p)
	r.mustRun("apply", "--only", "preflight,dns")
}
