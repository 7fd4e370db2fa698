package installer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// fakePhase records its runs and writes one file whose content is its input.
type fakePhase struct {
	name   string
	input  string
	needs  []string
	fail   error
	done   bool
	runs   *[]string
	skipIf string
}

func (f *fakePhase) Name() string     { return f.name }
func (f *fakePhase) Needs() []string  { return f.needs }
func (f *fakePhase) Describe() string { return "fake " + f.name }
func (f *fakePhase) Inputs(rc *RunContext) (any, error) {
	return map[string]string{"input": f.input}, nil
}
func (f *fakePhase) Done(ctx context.Context, rc *RunContext) (bool, error) { return f.done, nil }
func (f *fakePhase) ShouldRun(rc *RunContext) (bool, string) {
	return f.skipIf == "", f.skipIf
}
func (f *fakePhase) Run(ctx context.Context, rc *RunContext) error {
	*f.runs = append(*f.runs, f.name)
	if f.fail != nil {
		return f.fail
	}
	_, err := rc.Host().Files.WriteFile(rc.StatePath("out", f.name), []byte(f.input), 0o644)
	return err
}

type runnerFixture struct {
	t      *testing.T
	root   string
	runs   []string
	phases []*fakePhase
	out    bytes.Buffer
}

func newFixture(t *testing.T, names ...string) *runnerFixture {
	f := &runnerFixture{t: t, root: t.TempDir()}
	prev := ""
	for _, n := range names {
		p := &fakePhase{name: n, input: "v1", done: true, runs: &f.runs}
		if prev != "" {
			p.needs = []string{prev}
		}
		prev = n
		f.phases = append(f.phases, p)
	}
	return f
}

func (f *runnerFixture) apply(o ApplyOptions) (*Summary, error) {
	f.runs = nil
	var phases []Phase
	for _, p := range f.phases {
		phases = append(phases, p)
	}
	c := validCluster()
	host := bastion.NewHost(bastion.HostOptions{Root: f.root})
	r := &Runner{Cluster: c, Host: host, Log: NewLogger(LoggerOptions{Out: &f.out}), Phases: phases}
	return r.Apply(context.Background(), o)
}

func (f *runnerFixture) mustApply(o ApplyOptions, want ...string) {
	f.t.Helper()
	if _, err := f.apply(o); err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	f.expectRuns(want...)
}

func (f *runnerFixture) expectRuns(want ...string) {
	f.t.Helper()
	if !slices.Equal(f.runs, want) {
		f.t.Errorf("ran %v, want %v", f.runs, want)
	}
}

func (f *runnerFixture) phase(name string) *fakePhase {
	for _, p := range f.phases {
		if p.name == name {
			return p
		}
	}
	return nil
}

func TestRunnerOrderAndSelection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts ApplyOptions
		want []string
	}{
		{"all in order", ApplyOptions{}, []string{"a", "b", "c", "d"}},
		{"only", ApplyOptions{Only: []string{"d", "b"}}, []string{"b", "d"}},
		{"from", ApplyOptions{From: "c"}, []string{"c", "d"}},
		{"skip", ApplyOptions{Skip: []string{"b", "c"}}, []string{"a", "d"}},
		{"from and skip", ApplyOptions{From: "b", Skip: []string{"c"}}, []string{"b", "d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "a", "b", "c", "d")
			f.mustApply(tc.opts, tc.want...)
		})
	}
}

func TestRunnerRejectsUnknownPhases(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "a", "b")
	for _, o := range []ApplyOptions{{From: "x"}, {Only: []string{"x"}}, {Skip: []string{"x"}}, {Force: []string{"x"}}} {
		_, err := f.apply(o)
		if err == nil || !strings.Contains(err.Error(), `unknown phase "x": the phases are a, b`) {
			t.Errorf("%+v: got %v", o, err)
		}
	}
	if _, err := f.apply(ApplyOptions{From: "a", Only: []string{"b"}}); err == nil {
		t.Error("--from with --only accepted")
	}
}

func TestRunnerSkipsUnchangedAndForces(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "a", "b", "c")
	f.mustApply(ApplyOptions{}, "a", "b", "c")
	f.mustApply(ApplyOptions{})
	if !strings.Contains(f.out.String(), "inputs unchanged and result confirmed") {
		t.Errorf("an unchanged phase does not say why it was skipped:\n%s", f.out.String())
	}
	f.mustApply(ApplyOptions{Force: []string{"b"}}, "b")
}

func TestRunnerResumesAfterFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "a", "b", "c")
	f.phase("b").fail = errors.New("boom")
	_, err := f.apply(ApplyOptions{})
	if err == nil || err.Error() != "phase b: boom" {
		t.Fatalf("want 'phase b: boom', got %v", err)
	}
	f.expectRuns("a", "b")
	st, _ := LoadState(filepath.Join(f.root, "var/lib/okdctl/okd"), "okd")
	if st.Phase("b").Status != StatusFailed || st.Phase("b").Error != "boom" || st.Phase("c").Status != StatusPending {
		t.Errorf("state after failure: b=%+v c=%+v", st.Phase("b"), st.Phase("c"))
	}
	f.phase("b").fail = nil
	f.mustApply(ApplyOptions{}, "b", "c")
}

func TestRunnerRerunsChangedInputsAndConsumers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "a", "b", "c")
	f.phases[2].needs = []string{"b"}
	f.mustApply(ApplyOptions{}, "a", "b", "c")
	// b's inputs change: b runs, writes a new file, so c (which consumes b) runs; a does not.
	f.phase("b").input = "v2"
	f.mustApply(ApplyOptions{}, "b", "c")
	if !strings.Contains(f.out.String(), "its inputs changed") || !strings.Contains(f.out.String(), "b changed since it ran") {
		t.Errorf("the reasons are not shown:\n%s", f.out.String())
	}
	// forced b writes nothing new: c has no cause to run.
	f.mustApply(ApplyOptions{Force: []string{"b"}}, "b")
}

func TestRunnerConfirmsDoneAgainstReality(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "a", "b")
	f.mustApply(ApplyOptions{}, "a", "b")
	f.phase("a").done = false
	f.mustApply(ApplyOptions{}, "a")
	if !strings.Contains(f.out.String(), "its result no longer holds") {
		t.Errorf("no reason shown:\n%s", f.out.String())
	}
}

func TestRunnerConditionalPhase(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "a", "b")
	f.phase("b").skipIf = "no registry in this spec"
	sum, err := f.apply(ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.expectRuns("a")
	if r := sum.Results[1]; r.Status != StatusSkipped || r.Note != "no registry in this spec" {
		t.Errorf("b: %+v", r)
	}
}

func TestRunnerDryRunTouchesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "a", "b")
	var phases []Phase
	for _, p := range f.phases {
		phases = append(phases, p)
	}
	host := bastion.NewHost(bastion.HostOptions{Root: f.root, DryRun: true})
	r := &Runner{Cluster: validCluster(), Host: host, Log: NewLogger(LoggerOptions{}), Phases: phases}
	sum, err := r.Apply(context.Background(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(f.root); len(entries) != 0 {
		t.Errorf("a dry run created %v", entries)
	}
	if len(sum.Results[0].Planned) != 1 || !strings.HasPrefix(sum.Results[0].Planned[0].Summary, "create ") {
		t.Errorf("the planned write is not recorded: %+v", sum.Results[0])
	}
}

// TestLockRefusesSecondProcess holds the lock here and runs a second
// process that must be refused at once; then a killed holder's lock is
// recovered.
func TestLockRefusesSecondProcess(t *testing.T) {
	if dir := os.Getenv("OKDCTL_LOCK_HELPER"); dir != "" {
		lock, err := AcquireLock(dir)
		if err != nil {
			fmt.Println("REFUSED:", err)
			os.Exit(3)
		}
		fmt.Println("LOCKED")
		if os.Getenv("OKDCTL_LOCK_HOLD") != "" {
			time.Sleep(time.Minute)
		}
		lock.Release()
		os.Exit(0)
	}
	dir := t.TempDir()
	lock, err := AcquireLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := helperProcess(dir, false).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "another okdctl run holds the lock") ||
		!strings.Contains(string(out), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second process not refused clearly: %v\n%s", err, out)
	}
	lock.Release()

	holder := helperProcess(dir, true)
	stdout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "LOCKED" {
		t.Fatalf("holder did not lock: %q %v", buf, err)
	}
	_ = holder.Process.Kill()
	_ = holder.Wait()
	lock, err = AcquireLock(dir)
	if err != nil {
		t.Fatalf("a killed run's lock was not recovered: %v", err)
	}
	lock.Release()
}

func helperProcess(dir string, hold bool) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockRefusesSecondProcess$")
	cmd.Env = append(os.Environ(), "OKDCTL_LOCK_HELPER="+dir)
	if hold {
		cmd.Env = append(cmd.Env, "OKDCTL_LOCK_HOLD=1")
	}
	return cmd
}

// TestRunnerRunsWhatDownStopped: okdctl down marks the phases whose
// services it stopped; a plan (which does not confirm finished phases
// against the machine) and an apply both run them again, and only them.
func TestRunnerRunsWhatDownStopped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, PhasePreflight, PhaseDNS, PhaseLoadBalancer)
	f.mustApply(ApplyOptions{}, PhasePreflight, PhaseDNS, PhaseLoadBalancer)
	stateDir := filepath.Join(f.root, "var/lib/okdctl/okd")
	marked, err := MarkStopped(stateDir, "okd")
	if err != nil || !slices.Equal(marked, []string{PhaseDNS, PhaseLoadBalancer}) {
		t.Fatalf("marked %v, %v; want dns and loadbalancer", marked, err)
	}
	if again, err := MarkStopped(stateDir, "okd"); err != nil || len(again) != 0 {
		t.Errorf("a second down marked %v, %v", again, err)
	}
	if st, _ := LoadState(stateDir, "okd"); st.Phase(PhaseDNS).Status != StatusStopped || st.Phase(PhasePreflight).Status != StatusDone {
		t.Errorf("state after down: dns %s, preflight %s", st.Phase(PhaseDNS).Status, st.Phase(PhasePreflight).Status)
	}
	var phases []Phase
	for _, p := range f.phases {
		phases = append(phases, p)
	}
	var planOut bytes.Buffer
	host := bastion.NewHost(bastion.HostOptions{Root: f.root, DryRun: true})
	r := &Runner{Cluster: validCluster(), Host: host, Log: NewLogger(LoggerOptions{Out: &planOut}), Phases: phases}
	sum, err := r.Apply(context.Background(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{StatusUnchanged, "planned", "planned"} {
		if got := sum.Results[i].Status; got != want {
			t.Errorf("plan: %s %s, want %s", sum.Results[i].Phase, got, want)
		}
	}
	if !strings.Contains(planOut.String(), "stopped by down since it ran") {
		t.Errorf("the plan does not say why dns runs:\n%s", planOut.String())
	}
	f.mustApply(ApplyOptions{}, PhaseDNS, PhaseLoadBalancer)
	f.mustApply(ApplyOptions{})
	if missing, err := MarkStopped(filepath.Join(t.TempDir(), "none"), "okd"); err != nil || missing != nil {
		t.Errorf("no state: %v, %v", missing, err)
	}
}
