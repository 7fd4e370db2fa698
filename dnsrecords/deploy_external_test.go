package dnsrecords

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

type testLog struct{ b strings.Builder }

func (l *testLog) Infof(f string, a ...any)     { fmt.Fprintf(&l.b, f+"\n", a...) }
func (l *testLog) Warnf(f string, a ...any)     { fmt.Fprintf(&l.b, f+"\n", a...) }
func (l *testLog) Progressf(f string, a ...any) {}

// TestManual: the hand-over files are written once, the server is only
// verified (failing with where the files are until it serves them), and
// once BIND $INCLUDEs them the phase's result holds.
func TestManual(t *testing.T) {
	t.Parallel()
	in := testInput(5)
	root := t.TempDir()
	h := bastion.NewHost(bastion.HostOptions{Root: root})
	dir := filepath.Join(root, "state/dns/manual")
	empty := startBIND(t, testenv.BINDOptions{Records: map[string][]string{}})
	m := &Manual{Host: h, Log: &testLog{}, Dir: dir, Server: empty.Addr}
	ctx := testenv.Context(t, time.Minute)
	changed, err := m.Apply(ctx, in)
	if !changed || err == nil || !strings.Contains(err.Error(), "zone fragments in "+dir+" are loaded") {
		t.Fatalf("against a server without the records: changed %v, %v", changed, err)
	}
	loaded := startBIND(t, testenv.BINDOptions{Records: map[string][]string{
		bindZone: {"$INCLUDE " + filepath.Join(dir, "forward.zone")}, bindReverse: {"$INCLUDE " + filepath.Join(dir, "reverse.zone")}}})
	m.Server = loaded.Addr
	if changed, err := m.Apply(ctx, in); changed || err != nil {
		t.Fatalf("with the fragments loaded: changed %v, %v", changed, err)
	}
	if done, err := m.Done(ctx, in); !done || err != nil {
		t.Fatalf("Done: %v %v", done, err)
	}
}

// TestUpdatesDeployment: the external deployment sends what BIND lacks,
// verifies it, reports nothing to do on a re-run, and in a dry run away
// from the bastion contacts no server.
func TestUpdatesDeployment(t *testing.T) {
	t.Parallel()
	b := startBIND(t, testenv.BINDOptions{})
	in := testInput(5)
	log := &testLog{}
	d := &Updates{Host: bastion.NewHost(bastion.HostOptions{Root: t.TempDir()}), Log: log, External: externalOf(b), Live: true}
	ctx := context.Background()
	if changed, err := d.Apply(ctx, in); !changed || err != nil {
		t.Fatalf("first apply: %v %v\n%s", changed, err, log.b.String())
	}
	if done, err := d.Done(ctx, in); !done || err != nil {
		t.Fatalf("Done: %v %v", done, err)
	}
	serial := b.Serial(t, bindZone)
	if changed, err := d.Apply(ctx, in); changed || err != nil || b.Serial(t, bindZone) != serial {
		t.Fatalf("re-run: %v %v", changed, err)
	}
	dry := &Updates{Host: bastion.NewHost(bastion.HostOptions{Root: t.TempDir(), DryRun: true}), Log: log,
		External: External{Server: "127.0.0.1:9", Zone: bindZone, Key: TSIGKey{Name: "k", Secret: "c2VjcmV0"}}}
	changed, err := dry.Apply(ctx, in)
	planned := dry.Host.Rec.Take()
	if changed || err != nil || len(planned) != 1 || !strings.Contains(planned[0].Summary, "read the zones") {
		t.Fatalf("a plan away from the bastion: %v %v %+v", changed, err, planned)
	}
	if strings.Contains(log.b.String(), b.Secret) {
		t.Error("the TSIG secret appears in the log")
	}
}
