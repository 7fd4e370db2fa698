package haproxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestSnippet: the sections for a site's load balancer are pinned, pass
// `haproxy -c`, and an HAProxy run with only them (the "appliance")
// accepts on every frontend.
func TestSnippet(t *testing.T) {
	t.Parallel()
	ha := goldenCases()["ha"]
	out, err := RenderSnippet(ha, Frontends{API: "192.168.140.5", APIInt: "192.168.140.6", Ingress: "192.168.140.7"})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "snippet-ha.cfg.golden"), out)
	if err := Check(context.Background(), bastion.ExecRunner{}, testenv.Binary(t, "haproxy"), out); err != nil {
		t.Fatal(err)
	}

	sb := goldenCases()["sandbox"]
	fe := Frontends{API: "127.0.1.21", APIInt: "127.0.1.22", Ingress: "127.0.1.23"}
	fe.APIPort, fe.MachineConfigPort = testenv.FreePort(t, fe.API), testenv.FreePort(t, fe.APIInt)
	fe.HTTPPort, fe.HTTPSPort = testenv.FreePort(t, fe.Ingress), testenv.FreePort(t, fe.Ingress)
	out, err = RenderSnippet(sb, fe)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "appliance.cfg")
	if err := os.WriteFile(conf, out, 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.Start(t, testenv.Binary(t, "haproxy"), "-db", "-f", conf)
	for _, a := range []string{fmt.Sprintf("%s:%d", fe.API, fe.APIPort), fmt.Sprintf("%s:%d", fe.APIInt, fe.APIPort),
		fmt.Sprintf("%s:%d", fe.APIInt, fe.MachineConfigPort), fmt.Sprintf("%s:%d", fe.Ingress, fe.HTTPPort),
		fmt.Sprintf("%s:%d", fe.Ingress, fe.HTTPSPort)} {
		testenv.WaitTCP(t, a, 10*time.Second)
	}
	if _, err := RenderSnippet(sb, Frontends{API: "not-an-ip"}); err == nil {
		t.Error("a frontend that is not an IP address was accepted")
	}
}
