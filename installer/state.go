package installer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec/release"
)

// Phase statuses kept in the state file and shown by status.
const (
	StatusDone      = "done"
	StatusUnchanged = "unchanged"
	StatusFailed    = "failed"
	StatusRunning   = "running"
	StatusSkipped   = "skipped"
	StatusPending   = "pending"
	// StatusStopped: the phase finished, then okdctl down undid what it
	// serves; the next apply runs it again.
	StatusStopped = "stopped"
)

// stoppedByDown are the phases whose results okdctl down undoes: the
// bastion's services, the resolver and the PXE service.
var stoppedByDown = []string{PhaseDNS, PhaseLoadBalancer, PhaseHTTP, PhaseRegistry, PhaseBoot}

// MarkStopped records in a cluster's state that okdctl down stopped what
// its finished phases serve, so that plan and apply run them again (a
// plan does not confirm finished phases against the machine). It returns
// the phases it marked; a missing state changes nothing.
func MarkStopped(stateDir, cluster string) ([]string, error) {
	if _, err := os.Stat(StateFile(stateDir)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	st, err := LoadState(stateDir, cluster)
	if err != nil {
		return nil, err
	}
	var marked []string
	for _, name := range stoppedByDown {
		if ps, ok := st.Phases[name]; ok && ps.Status == StatusDone {
			ps.Status = StatusStopped
			marked = append(marked, name)
		}
	}
	if len(marked) == 0 {
		return nil, nil
	}
	return marked, saveState(&bastion.DiskFiles{}, stateDir, st)
}

// State is okdctl's record of what it did, per phase. It is a hint: a
// finished phase is confirmed against reality before it is skipped.
type State struct {
	Cluster string                 `json:"cluster"`
	Phases  map[string]*PhaseState `json:"phases"`
	// Sandbox is set when the last run ran the services in a sandbox
	// (--sandbox), so that status and its hints say so.
	Sandbox bool `json:"sandbox,omitempty"`
	// Release is what the release image said about itself when okdctl
	// read it, so that re-runs do not read it again.
	Release *release.Facts `json:"release,omitempty"`
}

// PhaseState is one phase's last run.
type PhaseState struct {
	Status      string    `json:"status"`
	StartedAt   time.Time `json:"startedAt"`
	FinishedAt  time.Time `json:"finishedAt,omitempty"`
	Duration    string    `json:"duration,omitempty"`
	Error       string    `json:"error,omitempty"`
	InputDigest string    `json:"inputDigest,omitempty"`
	// Generation counts the runs that changed something; later phases
	// remember the generations of the phases they consumed.
	Generation int            `json:"generation"`
	Consumed   map[string]int `json:"consumed,omitempty"`
}

// Phase returns the state of a phase (a pending one when it never ran).
func (s *State) Phase(name string) *PhaseState {
	if p, ok := s.Phases[name]; ok {
		return p
	}
	return &PhaseState{Status: StatusPending}
}

func (s *State) set(name string, p *PhaseState) {
	if s.Phases == nil {
		s.Phases = map[string]*PhaseState{}
	}
	s.Phases[name] = p
}

// StateFile is the path of the state file under a state directory.
func StateFile(stateDir string) string { return filepath.Join(stateDir, "state.json") }

// LoadState reads the state file; a missing file is an empty state.
func LoadState(stateDir, cluster string) (*State, error) {
	data, err := os.ReadFile(StateFile(stateDir))
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Cluster: cluster, Phases: map[string]*PhaseState{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read state: %w", err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("failed to read state %s: %w (move it aside to start over)", StateFile(stateDir), err)
	}
	if s.Phases == nil {
		s.Phases = map[string]*PhaseState{}
	}
	return &s, nil
}

// saveState writes the state file atomically.
func saveState(files bastion.Files, stateDir string, s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("failed to encode state: %w", err)
	}
	_, err = files.WriteFile(StateFile(stateDir), append(data, '\n'), 0o600)
	return err
}

// Lock is the exclusive lock of one cluster's state directory.
type Lock struct {
	f *os.File
}

// AcquireLock takes the state directory's lock or fails at once naming the
// holder. The lock is an flock, so a killed run's lock is released by the
// kernel and recovered without help.
func AcquireLock(stateDir string) (*Lock, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create state directory: %w", err)
	}
	path := filepath.Join(stateDir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "another okdctl"
		}
		return nil, fmt.Errorf("another okdctl run holds the lock on %s (%s): wait for it to finish, or stop it", stateDir, who)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+" since "+time.Now().UTC().Format(time.RFC3339)+"\n"), 0)
	return &Lock{f: f}, nil
}

// Release drops the lock.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
