package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/haproxy"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/spec"
)

// site is a site's existing infrastructure, started by the test itself:
// BIND as the authoritative DNS server (dynamic zones, a TSIG key), an
// HAProxy of the test's own as the load balancer appliance, and a registry
// with its own CA and htpasswd.
type site struct {
	bind     *testenv.BIND
	lbConf   string
	lb       *testenv.Process
	registry registry.Endpoint
	caFile   string
	authFile string
}

// TestRehearsalExistingInfra installs the sandbox cluster with all three
// external at once: okdctl runs only nginx on the bastion, keeps the
// records in BIND through signed dynamic updates, writes the HAProxy
// sections for the appliance, waits at bootstrap-complete until the
// appliance drops the bootstrap, and mirrors into the site's registry.
// verify then passes against all of it.
func TestRehearsalExistingInfra(t *testing.T) {
	if testing.Short() {
		t.Skip("the rehearsal takes a minute; make test runs it")
	}
	r := newRehearsal(t)
	st := r.startSite(t)
	r.spec = r.variant("existing-infra", func(c *spec.Cluster) {
		c.Spec.DNS.External = &spec.ExternalDNS{Server: st.bind.Addr, Zone: "okd.test",
			ReverseZones: []string{"1.0.127.in-addr.arpa"},
			TSIGKey:      spec.TSIGKey{Name: strings.TrimSuffix(st.bind.KeyName, "."), Algorithm: "hmac-sha256", SecretFile: st.bind.KeyFile(t, r.dir)}}
		c.Spec.LoadBalancer.External = &spec.ExternalLoadBalancer{API: bastionIP, Ingress: bastionIP,
			StatsURL: fmt.Sprintf("http://%s:%d/", bastionIP, c.Spec.Bastion.Ports.Stats)}
		c.Spec.Registry.Enabled = nil
		c.Spec.Registry.External = &spec.ExternalRegistry{Host: st.registry.Host(), IP: st.registry.IP,
			CAFile: st.caFile, AuthFile: st.authFile}
	})
	r.siteSecrets = map[string]string{"the site's TSIG secret": st.bind.Secret, "the site's registry password": st.registry.Password}
	var err error
	if r.cluster, err = spec.LoadFile(r.spec); err != nil {
		t.Fatal(err)
	}
	st.startLB(t, r, true)

	ctx := testenv.Context(t, 5*time.Minute)
	go st.dropBootstrapWhenAsked(ctx, t, r)
	out := r.install(t)
	if !strings.Contains(out, "remove the bootstrap 127.0.1.2 from the 6443 and 22623 backends") {
		t.Errorf("apply did not ask to take the bootstrap out:\n%s", out)
	}
	for _, p := range []string{installer.PhaseRegistry} {
		if got := r.state().Phase(p).Status; got != installer.StatusSkipped {
			t.Errorf("phase %s: %s, want skipped", p, got)
		}
	}
	for name := range r.servicePIDs() {
		if name != "okdctl-nginx" {
			t.Errorf("the bastion runs %s with everything external", name)
		}
	}
	fwd := strings.Join(st.bind.Transfer(t, "okd.test."), "\n")
	for _, want := range []string{"api.sandbox.okd.test. 60 IN A 127.0.1.1", `*.apps.sandbox.okd.test. 60 IN A 127.0.1.1`,
		`m0.sandbox.okd.test. 60 IN TXT "heritage=okdctl,okdctl/owner=sandbox.okd.test"`} {
		if !strings.Contains(fwd, want) {
			t.Errorf("BIND lacks %q:\n%s", want, fwd)
		}
	}
	if _, err := os.Stat(filepath.Join(r.root, "etc/haproxy/haproxy.cfg")); err == nil {
		t.Error("okdctl wrote a haproxy.cfg for an external load balancer")
	}
	ic, err := os.ReadFile(filepath.Join(r.stateDir(), installer.FileInstallConfig))
	if err != nil || !strings.Contains(string(ic), st.registry.Host()) || !strings.Contains(string(ic), "additionalTrustBundle") {
		t.Errorf("install-config does not mirror to the site's registry or trust its CA (%v):\n%s", err, ic)
	}

	before := st.bind.Serial(t, "okd.test.")
	again := r.mustRun("apply")
	if after := st.bind.Serial(t, "okd.test."); after != before {
		t.Errorf("a no-op re-run sent DNS updates: serial %d -> %d\n%s", before, after, again)
	}
	vout, code := r.run("verify")
	r.outputs.WriteString(vout)
	if code != 0 || !strings.Contains(vout, "verify: passed") {
		t.Errorf("verify against the site's infrastructure (exit %d):\n%s", code, vout)
	}
	r.auditSecrets(t)
}

func (r *rehearsal) startSite(t *testing.T) *site {
	t.Helper()
	st := &site{}
	st.startBIND(t, nil, 0)
	st.startRegistry(t)
	return st
}

// siteZones are the site's zones; www is a foreign record okdctl must keep.
var siteZones = []string{"okd.test.", "1.0.127.in-addr.arpa."}

// startBIND (re)starts the site's DNS server with extra records per zone,
// on port when given.
func (st *site) startBIND(t *testing.T, extra map[string][]string, port int) {
	t.Helper()
	records := map[string][]string{"okd.test.": {"www.okd.test. 300 IN A 127.0.9.9"}}
	for z, lines := range extra {
		records[z] = append(records[z], lines...)
	}
	if st.bind != nil {
		st.bind.Proc.Stop()
	}
	st.bind = testenv.StartBIND(t, testenv.BINDOptions{Zones: siteZones, Records: records, Port: port})
}

// startRegistry starts the site's registry with its own CA and htpasswd.
func (st *site) startRegistry(t *testing.T) {
	t.Helper()
	root := t.TempDir()
	h := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true})
	dir := filepath.Join(root, "site-registry")
	in := registry.Input{Cluster: "site", Name: "mirror.okd.test", IP: bastionIP, Port: testenv.FreePort(t, bastionIP), User: "mirror",
		Layout: registry.Layout{CACert: filepath.Join(dir, "ca.crt"), CAKey: filepath.Join(dir, "ca.key"),
			Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"), Password: filepath.Join(dir, "password"),
			Htpasswd: filepath.Join(dir, "htpasswd"), PullSecret: filepath.Join(dir, "auth.json"),
			Config: filepath.Join(dir, "config.yml"), DataDir: filepath.Join(dir, "data")},
		Okdctl: testenv.Okdctl(t)}
	t.Cleanup(func() { _ = h.Services.Stop(context.Background(), registry.ServiceName) })
	res, err := registry.Ensure(testenv.Context(t, time.Minute), h, in)
	if err != nil {
		t.Fatalf("the site's registry: %v", err)
	}
	st.registry, st.caFile, st.authFile = res.Endpoint, in.Layout.CACert, in.Layout.PullSecret
}

// startLB (re)starts the appliance with the cluster's sections, the
// bootstrap in or out, and a statistics page.
func (st *site) startLB(t *testing.T, r *rehearsal, withBootstrap bool) {
	t.Helper()
	s := r.cluster.Spec
	p := s.Bastion.Ports
	in := haproxy.Input{Cluster: r.cluster.ClusterDomain(), BindIP: bastionIP,
		Ports: haproxy.Ports{API: p.API, MachineConfig: p.MachineConfig, IngressHTTP: p.IngressHTTP, IngressHTTPS: p.IngressHTTPS, Stats: p.Stats}}
	for _, n := range s.Nodes {
		srv := haproxy.Server{Name: n.Name, IP: n.IP}
		switch n.Role {
		case spec.RoleBootstrap:
			if withBootstrap {
				in.Bootstrap = append(in.Bootstrap, srv)
			}
		case spec.RoleMaster:
			in.Masters = append(in.Masters, srv)
		default:
			in.Workers = append(in.Workers, srv)
		}
	}
	cfg, err := haproxy.Render(in) // the site's own HAProxy: a whole file, run by the test
	if err != nil {
		t.Fatal(err)
	}
	if st.lbConf == "" {
		st.lbConf = filepath.Join(t.TempDir(), "appliance.cfg")
	}
	writeFile(t, st.lbConf, cfg, 0o644)
	if st.lb != nil {
		st.lb.Stop()
	}
	st.lb = testenv.Start(t, testenv.Binary(t, "haproxy"), "-db", "-f", st.lbConf)
	testenv.WaitTCP(t, fmt.Sprintf("%s:%d", bastionIP, p.Stats), 10*time.Second)
}

// dropBootstrapWhenAsked plays the load balancer's owners: once okdctl
// rewrote its sections without the bootstrap, the appliance drops it.
func (st *site) dropBootstrapWhenAsked(ctx context.Context, t *testing.T, r *rehearsal) {
	snippet := filepath.Join(r.stateDir(), installer.FileHAProxySnippet)
	for ctx.Err() == nil {
		if data, err := os.ReadFile(snippet); err == nil && !strings.Contains(string(data), "server bootstrap ") {
			st.startLB(t, r, false)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
