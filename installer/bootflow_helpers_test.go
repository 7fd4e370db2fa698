package installer

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
)

// flowGolden compares got with testdata/bootflow/<name>.golden.
func flowGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", "bootflow", name+".golden"), got)
}

// syncBuffer collects log output from a run.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// loadExampleForFlow loads examples/<name>.yaml with its install directory
// moved into a temporary directory.
func loadExampleForFlow(t *testing.T, name string) *spec.Cluster {
	t.Helper()
	data, file := testenv.ExampleSpec(t, name)
	c, err := spec.Load([]byte(data), file)
	if err != nil {
		t.Fatal(err)
	}
	c.Spec.InstallDir = filepath.Join(t.TempDir(), "install")
	return c
}

// flowRC is a RunContext for one phase on a host rooted in root.
func flowRC(t *testing.T, c *spec.Cluster, root string, now func() time.Time) (*RunContext, *syncBuffer) {
	t.Helper()
	v, err := c.ReleaseVersion()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	return &RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{Root: root}),
		state: &State{Cluster: c.Metadata.Name, Phases: map[string]*PhaseState{}},
		log:   NewLogger(LoggerOptions{Out: out}), phase: "test", release: v, now: now}, out
}

// writeStateFile puts a file another phase would write into the state directory.
func writeStateFile(t *testing.T, rc *RunContext, name string, data []byte, mode os.FileMode) {
	t.Helper()
	path := rc.StatePath(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}
