package installer

import (
	"path/filepath"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/haproxy"
	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/webserver"
)

// TestLoadBalancerAndHTTPUnits pins the real bastion's okdctl-haproxy and
// okdctl-nginx units for the lab example and checks them with systemd-analyze.
func TestLoadBalancerAndHTTPUnits(t *testing.T) {
	t.Parallel()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rc := &RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{})}
	cfg, err := haproxy.Render((&LoadBalancerPhase{}).haproxyInput(rc))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := webserver.Render(nginxInput(rc))
	if err != nil {
		t.Fatal(err)
	}
	lb := haproxyDeployer(rc, "/usr/sbin/haproxy")
	web := nginxDeployer(rc, "/usr/sbin/nginx", nginxInput(rc))
	for _, svc := range []bastion.Service{lb.Service(cfg), web.Service(conf)} {
		unit := bastion.RenderUnit(svc)
		golden.Assert(t, filepath.Join("testdata", "lbhttp", svc.Name+".service.golden"), unit)
		verifyUnit(t, svc.Name, unit)
	}
}

// verifyUnit checks the unit name.service with systemd-analyze verify (a
// program missing on this machine is the only complaint tolerated) and its
// exposure with systemd-analyze security (at most testenv.MaxExposure).
func verifyUnit(t *testing.T, name string, unit []byte) {
	t.Helper()
	testenv.VerifyUnit(t, name, unit, false)
}
