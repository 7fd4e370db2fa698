package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
)

// ApplyOptions select the phases of one run.
type ApplyOptions struct {
	From  string
	Only  []string
	Skip  []string
	Force []string
}

// Runner runs the phases of one cluster in order.
type Runner struct {
	Cluster *spec.Cluster
	Host    *bastion.Host
	Log     *Logger
	// Phases defaults to Phases().
	Phases []Phase
	// Kubeconfig overrides <installDir>/auth/kubeconfig.
	Kubeconfig string
	Now        func() time.Time
	// ReadRelease reads the release image's own facts (nil: offline).
	ReadRelease ReleaseReader
}

// Result is one phase's outcome in a run.
type Result struct {
	Phase    string        `json:"phase"`
	Status   string        `json:"status"`
	Duration time.Duration `json:"duration"`
	Note     string        `json:"note,omitempty"`
	// Error is the whole error of a failed phase (secrets masked).
	Error   string            `json:"error,omitempty"`
	Planned []bastion.Planned `json:"planned,omitempty"`
}

// Summary is what a run did.
type Summary struct {
	Results  []Result      `json:"results"`
	Duration time.Duration `json:"duration"`
	DryRun   bool          `json:"dryRun"`
}

func (r *Runner) phases() []Phase {
	if r.Phases != nil {
		return r.Phases
	}
	return Phases()
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Describe is the one-line description of the run's phase called name.
func (r *Runner) Describe(name string) string {
	for _, p := range r.phases() {
		if p.Name() == name {
			return Declared(p).Describe
		}
	}
	return ""
}

// StateDir is the cluster's state directory.
func (r *Runner) StateDir() string { return r.Host.Paths.StateDir(r.Cluster.Metadata.Name) }

// selection decides which phases the options select.
func (r *Runner) selection(o ApplyOptions) (map[string]bool, error) {
	var names []string
	for _, p := range r.phases() {
		names = append(names, p.Name())
	}
	for _, list := range [][]string{o.Only, o.Skip, o.Force, {o.From}} {
		for _, n := range list {
			if n != "" && !slices.Contains(names, n) {
				return nil, fmt.Errorf("unknown phase %q: the phases are %s", n, strings.Join(names, ", "))
			}
		}
	}
	if o.From != "" && len(o.Only) > 0 {
		return nil, errors.New("--from and --only cannot be combined: use one of them")
	}
	sel := map[string]bool{}
	from := o.From == ""
	for _, n := range names {
		from = from || n == o.From
		switch {
		case len(o.Only) > 0:
			sel[n] = slices.Contains(o.Only, n)
		default:
			sel[n] = from
		}
		if slices.Contains(o.Skip, n) {
			sel[n] = false
		}
	}
	if !slices.ContainsFunc(names, func(n string) bool { return sel[n] }) {
		return nil, fmt.Errorf("the options select no phase (%s): nothing would run; drop a --skip or choose other phases", o.describe())
	}
	return sel, nil
}

// describe spells the selecting options as given.
func (o ApplyOptions) describe() string {
	var parts []string
	if o.From != "" {
		parts = append(parts, "--from "+o.From)
	}
	if len(o.Only) > 0 {
		parts = append(parts, "--only "+strings.Join(o.Only, ","))
	}
	if len(o.Skip) > 0 {
		parts = append(parts, "--skip "+strings.Join(o.Skip, ","))
	}
	return strings.Join(parts, " ")
}

// Apply runs the selected phases. In a dry run (Host.DryRun) it touches
// nothing, records what each phase would do and goes on past failures.
func (r *Runner) Apply(ctx context.Context, o ApplyOptions) (*Summary, error) {
	sel, err := r.selection(o)
	if err != nil {
		return nil, err
	}
	stateDir := r.StateDir()
	if !r.Host.DryRun {
		lock, err := AcquireLock(stateDir)
		if err != nil {
			return nil, err
		}
		defer lock.Release()
		if f, err := os.OpenFile(filepath.Join(stateDir, FileRunLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			defer f.Close()
			r.Log.attachFile(f)
			defer r.Log.attachFile(nil)
		}
	}
	state, err := LoadState(stateDir, r.Cluster.Metadata.Name)
	if err != nil {
		return nil, err
	}
	state.Sandbox = r.Host.Sandbox // saved with the first phase's record
	ver, rf, err := r.resolveRelease(ctx, state)
	if err != nil {
		return nil, err
	}
	start := r.now()
	sum := &Summary{DryRun: r.Host.DryRun}
	var firstErr error
	for _, p := range r.phases() {
		rc := &RunContext{cluster: r.Cluster, host: r.Host, state: state, log: r.Log, phase: p.Name(),
			release: ver, releaseFacts: rf, kubeconfig: r.Kubeconfig, now: r.Now, forced: o.Force}
		res, err := r.runPhase(ctx, p, rc, sel[p.Name()], slices.Contains(o.Force, p.Name()))
		sum.Results = append(sum.Results, res)
		if err != nil {
			err = fmt.Errorf("phase %s: %w", p.Name(), err)
			if !r.Host.DryRun {
				firstErr = err
				break
			}
		}
	}
	sum.Duration = r.now().Sub(start)
	return sum, firstErr
}

// runPhase decides whether one phase runs, runs it and records the outcome.
func (r *Runner) runPhase(ctx context.Context, p Phase, rc *RunContext, selected, forced bool) (Result, error) {
	name := p.Name()
	res := Result{Phase: name}
	if !selected {
		res.Status, res.Note = "not selected", ""
		return res, nil
	}
	if c, ok := p.(Conditional); ok {
		if run, why := c.ShouldRun(rc); !run {
			res.Status, res.Note = StatusSkipped, why
			r.Log.Status(name, StatusSkipped, 0, why)
			return res, r.record(rc, name, &PhaseState{Status: StatusSkipped, StartedAt: r.now(), FinishedAt: r.now()})
		}
	}
	digest, err := inputDigest(p, rc)
	if err != nil {
		return r.fail(rc, res, r.now(), "", err)
	}
	why, run, err := r.reason(ctx, p, rc, digest, forced)
	if err != nil {
		return r.fail(rc, res, r.now(), digest, err)
	}
	if !run {
		res.Status, res.Note = StatusUnchanged, why
		r.Log.Status(name, StatusUnchanged, 0, why)
		if rep, ok := p.(Reporter); ok && !rc.DryRun() {
			if err := rep.Report(ctx, rc); err != nil {
				rc.Log().Warnf("%v", err)
			}
		}
		return res, nil
	}
	return r.execute(ctx, p, rc, res, digest, why)
}

// reason tells why a phase must run, or why it need not.
func (r *Runner) reason(ctx context.Context, p Phase, rc *RunContext, digest string, forced bool) (string, bool, error) {
	prev, ok := rc.state.Phases[p.Name()]
	switch {
	case forced:
		return "forced with --force", true, nil
	case !ok:
		return "not run before", true, nil
	case prev.Status == StatusFailed || prev.Status == StatusRunning:
		return "the last run did not finish", true, nil
	case prev.Status == StatusStopped:
		return "stopped by down since it ran", true, nil
	case prev.Status != StatusDone:
		return "not run before", true, nil
	case prev.InputDigest != digest:
		return "its inputs changed", true, nil
	}
	if dep := r.changedDependency(p, rc, prev); dep != "" {
		return dep + " changed since it ran", true, nil
	}
	if c, ok := p.(Checker); ok && !rc.DryRun() {
		done, err := c.Done(ctx, rc)
		if err != nil {
			return "its result could not be confirmed (" + rc.log.Mask(err.Error()) + ")", true, nil
		}
		if !done {
			return "its result no longer holds", true, nil
		}
	}
	return "inputs unchanged and result confirmed", false, nil
}

func (r *Runner) changedDependency(p Phase, rc *RunContext, prev *PhaseState) string {
	for _, dep := range Declared(p).Needs {
		ds, ok := rc.state.Phases[dep]
		if ok && ds.Generation != prev.Consumed[dep] {
			return dep
		}
	}
	return ""
}

func (r *Runner) execute(ctx context.Context, p Phase, rc *RunContext, res Result, digest, why string) (Result, error) {
	name := p.Name()
	start := r.now()
	desc := Declared(p).Describe
	if !rc.DryRun() {
		prev := rc.state.Phase(name)
		running := *prev
		running.Status, running.StartedAt, running.Error = StatusRunning, start, ""
		if err := r.record(rc, name, &running); err != nil {
			return res, err
		}
	}
	rc.Log().Infof("running: %s (%s)", desc, why)
	before := r.Host.Changes()
	var err error
	if dr, ok := p.(DryRunner); ok && rc.DryRun() {
		err = dr.DryRun(ctx, rc)
	} else {
		r.Log.startSpinner(name)
		err = p.Run(ctx, rc)
		r.Log.stopSpinner()
	}
	if rc.DryRun() && r.Host.Rec != nil {
		res.Planned = r.Host.Rec.Take()
	}
	if err != nil {
		return r.fail(rc, res, start, digest, err)
	}
	end := r.now()
	res.Status, res.Duration, res.Note = StatusDone, end.Sub(start), why
	if rc.DryRun() {
		res.Status = "planned"
		return res, nil
	}
	r.Log.Status(name, StatusDone, res.Duration, "")
	ps := &PhaseState{Status: StatusDone, StartedAt: start, FinishedAt: end, Duration: roundDuration(end.Sub(start)).String(),
		InputDigest: digest, Generation: rc.state.Phase(name).Generation, Consumed: r.consumed(p, rc)}
	if rc.changed || r.Host.Changes() > before || ps.Generation == 0 {
		ps.Generation++
	}
	return res, r.record(rc, name, ps)
}

func (r *Runner) consumed(p Phase, rc *RunContext) map[string]int {
	needs := Declared(p).Needs
	if needs == nil {
		return nil
	}
	m := map[string]int{}
	for _, dep := range needs {
		m[dep] = rc.state.Phase(dep).Generation
	}
	return m
}

func (r *Runner) fail(rc *RunContext, res Result, start time.Time, digest string, err error) (Result, error) {
	end := r.now()
	msg := rc.log.Mask(err.Error())
	res.Status, res.Duration, res.Note, res.Error = StatusFailed, end.Sub(start), firstLine(msg), msg
	if rc.DryRun() {
		res.Status = "would fail"
		if r.Host.Rec != nil { // keep what execute took already
			res.Planned = append(res.Planned, r.Host.Rec.Take()...)
		}
		return res, err
	}
	r.Log.Status(res.Phase, StatusFailed, res.Duration, res.Note)
	prev := rc.state.Phase(res.Phase)
	ps := &PhaseState{Status: StatusFailed, StartedAt: start, FinishedAt: end, Duration: roundDuration(end.Sub(start)).String(),
		Error: msg, InputDigest: digest, Generation: prev.Generation, Consumed: prev.Consumed}
	if rerr := r.record(rc, res.Phase, ps); rerr != nil {
		return res, errors.Join(err, rerr)
	}
	return res, err
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// record saves one phase's state (never in a dry run).
func (r *Runner) record(rc *RunContext, name string, ps *PhaseState) error {
	if rc.DryRun() {
		return nil
	}
	rc.state.set(name, ps)
	return saveState(&bastion.DiskFiles{}, r.StateDir(), rc.state)
}

// inputDigest hashes what a phase consumes.
func inputDigest(p Phase, rc *RunContext) (string, error) {
	ip, ok := p.(InputProvider)
	if !ok {
		return "", nil
	}
	in, err := ip.Inputs(rc)
	if err != nil {
		return "", fmt.Errorf("failed to read inputs: %w", err)
	}
	data, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("failed to digest inputs: %w", err)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
