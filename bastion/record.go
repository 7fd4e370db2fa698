package bastion

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/pmezard/go-difflib/difflib"
)

// Action kinds a dry run records.
const (
	KindFile    = "file"
	KindCommand = "command"
	KindService = "service"
	KindNote    = "note"
)

// Planned is one thing a dry run would have done.
type Planned struct {
	Kind    string `json:"kind"`
	Summary string `json:"summary"`
	// Diff is a unified diff for files (content hidden for secrets,
	// certificates described instead of printed).
	Diff string `json:"diff,omitempty"`
	// Brief is the short form a plan shows by default (Summary when empty).
	Brief string `json:"brief,omitempty"`
	// Path, Verb (create, update, remove), Size and the diff stat
	// (Added, Removed lines) describe a file action.
	Path    string `json:"path,omitempty"`
	Verb    string `json:"verb,omitempty"`
	Size    int    `json:"size,omitempty"`
	Added   int    `json:"added,omitempty"`
	Removed int    `json:"removed,omitempty"`
	// Secret is set on a secret file shown with its secrets redacted.
	Secret bool `json:"secret,omitempty"`
}

// Recorder collects what a dry run would do.
type Recorder struct {
	mu    sync.Mutex
	items []Planned
}

// Add records one planned action.
func (r *Recorder) Add(p Planned) {
	r.mu.Lock()
	r.items = append(r.items, p)
	r.mu.Unlock()
}

// Take returns and clears what was recorded.
func (r *Recorder) Take() []Planned {
	r.mu.Lock()
	defer r.mu.Unlock()
	items := r.items
	r.items = nil
	return items
}

// RecordingFiles reads through to Base and records every write instead of
// making it; later reads see the recorded content.
type RecordingFiles struct {
	Base Files
	Rec  *Recorder

	mu      sync.Mutex
	overlay map[string][]byte // nil value: removed
	// redact shows a secret file with its secrets taken out (Redact)
	redact map[string]func([]byte) []byte
}

var _ Files = (*RecordingFiles)(nil)

// ReadFile implements Files.
func (r *RecordingFiles) ReadFile(path string) ([]byte, error) {
	r.mu.Lock()
	data, ok := r.overlay[path]
	r.mu.Unlock()
	if ok {
		if data == nil {
			return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
		}
		return data, nil
	}
	return r.Base.ReadFile(path)
}

// WriteFile implements Files.
func (r *RecordingFiles) WriteFile(path string, data []byte, mode fs.FileMode) (bool, error) {
	old, err := r.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if exists && bytes.Equal(old, data) {
		return false, nil
	}
	r.mu.Lock()
	if r.overlay == nil {
		r.overlay = map[string][]byte{}
	}
	r.overlay[path] = append([]byte(nil), data...)
	r.mu.Unlock()
	verb := "create"
	if exists {
		verb = "update"
	}
	r.Rec.Add(r.planWrite(path, verb, old, data, mode))
	return true, nil
}

func isText(b []byte) bool {
	return len(b) < 1<<20 && !bytes.ContainsRune(b, 0)
}

// Diff renders a unified diff between two versions of a file.
func Diff(path string, old, new []byte) string {
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(old)), B: difflib.SplitLines(string(new)),
		FromFile: path + " (now)", ToFile: path + " (planned)", Context: 2,
	})
	return strings.TrimRight(d, "\n")
}

// Remove implements Files.
func (r *RecordingFiles) Remove(path string) (bool, error) {
	if _, err := r.ReadFile(path); err != nil {
		return false, nil
	}
	r.mu.Lock()
	if r.overlay == nil {
		r.overlay = map[string][]byte{}
	}
	r.overlay[path] = nil
	r.mu.Unlock()
	r.Rec.Add(Planned{Kind: KindFile, Summary: "remove " + path, Path: path, Verb: "remove"})
	return true, nil
}

// MkdirAll implements Files.
func (r *RecordingFiles) MkdirAll(path string, mode fs.FileMode) error { return nil }

// RecordingRunner records commands instead of running them; commands marked
// ReadOnly run through Base when it is set.
type RecordingRunner struct {
	Base Runner
	Rec  *Recorder
}

var _ Runner = (*RecordingRunner)(nil)

// Run implements Runner.
func (r *RecordingRunner) Run(ctx context.Context, cmd Cmd) ([]byte, error) {
	if cmd.ReadOnly && r.Base != nil {
		return r.Base.Run(ctx, cmd)
	}
	r.Rec.Add(Planned{Kind: KindCommand, Summary: "run " + cmd.Line()})
	return nil, nil
}

// RecordingServices records service changes instead of making them.
type RecordingServices struct {
	Rec *Recorder
	// Base answers Running (read only), so that a plan tells a service
	// to start from one that already runs, and preflight knows okdctl's
	// own services hold their ports (optional).
	Base Services

	mu      sync.Mutex
	ensured map[string]bool
}

var _ Services = (*RecordingServices)(nil)

// Ensure implements Services.
func (r *RecordingServices) Ensure(ctx context.Context, svc Service) (Action, error) {
	r.mu.Lock()
	again := r.ensured[svc.Name]
	if r.ensured == nil {
		r.ensured = map[string]bool{}
	}
	r.ensured[svc.Name] = true
	r.mu.Unlock()
	brief := "start " + svc.Name
	if running, _ := r.Running(ctx, svc.Name); running || again {
		brief = "keep " + svc.Name + " running (reloaded or restarted if its configuration or command changed)"
	}
	r.Rec.Add(Planned{Kind: KindService, Summary: fmt.Sprintf("ensure %s runs: %s", svc.Name, strings.Join(svc.Command, " ")),
		Brief: brief, Verb: "ensure"})
	return Unchanged, nil
}

// Reload implements Services.
func (r *RecordingServices) Reload(ctx context.Context, svc Service) error {
	r.Rec.Add(Planned{Kind: KindService, Summary: "reload " + svc.Name, Verb: "reload"})
	return nil
}

// Stop implements Services.
func (r *RecordingServices) Stop(ctx context.Context, name string) error {
	r.Rec.Add(Planned{Kind: KindService, Summary: "stop " + name, Verb: "stop"})
	return nil
}

// Running implements Services.
func (r *RecordingServices) Running(ctx context.Context, name string) (bool, error) {
	if r.Base == nil {
		return false, nil
	}
	return r.Base.Running(ctx, name)
}
