package dnsrecords

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
)

func TestGoldenHandOver(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for file, render := range map[string]func(Input) ([]byte, error){
				"forward.zone.golden": RenderBINDForward, "reverse.zone.golden": RenderBINDReverse,
				"dnsmasq.conf.golden": RenderDnsmasq,
			} {
				out, err := render(c.in)
				if err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, filepath.Join("testdata", c.name, file), out)
			}
		})
	}
}

func manualInput() Input {
	in := testInput(8)
	in.EtcdRecords = true
	in.Networks = []string{"127.0.1.0/24"}
	return in
}

func writeRendered(t *testing.T, dir, name string, render func(Input) ([]byte, error), in Input) string {
	t.Helper()
	out, err := render(in)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBINDFragmentsServe: the fragments $INCLUDEd in ordinary zones make
// BIND answer every check (records, the wildcard, an absent name).
func TestBINDFragmentsServe(t *testing.T) {
	t.Parallel()
	in, dir := manualInput(), t.TempDir()
	fwd := writeRendered(t, dir, "forward.zone", RenderBINDForward, in)
	rev := writeRendered(t, dir, "reverse.zone", RenderBINDReverse, in)
	b := startBIND(t, testenv.BINDOptions{Records: map[string][]string{
		bindZone: {"$INCLUDE " + fwd}, bindReverse: {"$INCLUDE " + rev}}})
	verifyAt(t, b.Addr, in, "w9.itest.okd.test.")
}

// TestDnsmasqServes: the same with dnsmasq (Debian's dnsmasq-base).
func TestDnsmasqServes(t *testing.T) {
	t.Parallel()
	in, dir := manualInput(), t.TempDir()
	conf := writeRendered(t, dir, "okd.conf", RenderDnsmasq, in)
	port := testenv.FreePort(t, "127.0.0.1")
	testenv.Start(t, testenv.Binary(t, "dnsmasq"), "--keep-in-foreground", "--conf-file="+conf, "--no-resolv",
		"--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", fmt.Sprintf("--port=%d", port),
		"--pid-file=", "--user=root", "--log-facility=-")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testenv.WaitTCP(t, addr, 10*time.Second)
	verifyAt(t, addr, in, "w9.itest.okd.test.", "200.1.0.127.in-addr.arpa.")
}
