package installer

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestUnchangedBootReprintsTheBootLines: a re-run of apply whose boot
// phase is unchanged still prints every node's boot line.
func TestUnchangedBootReprintsTheBootLines(t *testing.T) {
	t.Parallel()
	c := loadExampleForFlow(t, "lab")
	root := t.TempDir()
	apply := func() (*Summary, string) {
		out := &syncBuffer{}
		r := &Runner{Cluster: c, Host: bastion.NewHost(bastion.HostOptions{Root: root}), Log: NewLogger(LoggerOptions{Out: out}),
			Phases: []Phase{&BootPhase{}}}
		sum, err := r.Apply(testenv.Context(t, time.Minute), ApplyOptions{})
		if err != nil {
			t.Fatalf("apply: %v\n%s", err, out.String())
		}
		return sum, out.String()
	}
	line := "ip=192.168.120.103::192.168.120.101:255.255.255.0:master.okd.example:ens787f0:none"
	if sum, out := apply(); sum.Results[0].Status != StatusDone || !strings.Contains(out, line) {
		t.Fatalf("first run: %+v\n%s", sum.Results, out)
	}
	sum, out := apply()
	if sum.Results[0].Status != StatusUnchanged || strings.Count(out, line) != 1 || !strings.Contains(out, "boot artifacts unchanged in "+filepath.Join(root, "var/lib/okdctl/okd/boot")) {
		t.Errorf("unchanged re-run: %+v\n%s", sum.Results, out)
	}
}
