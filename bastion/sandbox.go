package bastion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sandbox runs services as supervised background processes, each in its own
// session so that they outlive okdctl, with pid records under
// <root>/run/okdctl and logs under <root>/var/log/okdctl.
type Sandbox struct {
	Paths Paths
	// StartCheck is how long a new process must stay up to count as
	// started (default 300ms).
	StartCheck time.Duration
}

var _ Services = (*Sandbox)(nil)

type sandboxRecord struct {
	PID     int      `json:"pid"`
	Command []string `json:"command"`
	Env     []string `json:"env,omitempty"`
	Digest  string   `json:"configDigest"`
	Started string   `json:"started"`
	Reload  int      `json:"reloadSignal,omitempty"`
}

func (s *Sandbox) recordPath(name string) string {
	return s.Paths.Path("/run/okdctl", name+".json")
}

// LogPath is the log file of a sandbox service.
func (s *Sandbox) LogPath(name string) string {
	return s.Paths.Path("/var/log/okdctl", name+".log")
}

func (s *Sandbox) read(name string) (*sandboxRecord, error) {
	data, err := os.ReadFile(s.recordPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read service record: %w", err)
	}
	var r sandboxRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, nil // a torn record is as good as none: the pid is re-checked anyway
	}
	if r.PID == 0 {
		r.PID = findByCommand("/proc", r.Command)
	}
	return &r, nil
}

// findByCommand is the process whose command line is command (the
// service of a record written just before its start), or 0. A program
// that retitles itself counts too: nginx's master shows
// "nginx: master process <its command line>" (its workers do not match).
func findByCommand(proc string, command []string) int {
	if len(command) == 0 {
		return 0
	}
	want := strings.Join(command, "\x00") + "\x00"
	retitled := filepath.Base(command[0]) + ": master process " + strings.Join(command, " ")
	entries, _ := os.ReadDir(proc)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(proc, e.Name(), "cmdline"))
		if err == nil && (string(data) == want || strings.TrimRight(string(data), "\x00 ") == retitled) {
			return pid
		}
	}
	return 0
}

func (s *Sandbox) write(name string, r *sandboxRecord) error {
	data, _ := json.MarshalIndent(r, "", "  ")
	f := &DiskFiles{}
	_, err := f.WriteFile(s.recordPath(name), data, 0o644)
	return err
}

// alive reports whether pid runs the recorded program.
func alive(r *sandboxRecord) bool {
	if r == nil || r.PID <= 0 {
		return false
	}
	if err := syscall.Kill(r.PID, 0); err != nil {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", r.PID))
	if err != nil || len(r.Command) == 0 {
		return false
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) == 0 || !sameProgram(args[0], r.Command[0]) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.PID))
	if err == nil {
		// a zombie is not a running service
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return true
}

// sameProgram reports whether argv[0] of a process is program, also when
// the program retitled itself ("nginx: master process /usr/sbin/nginx ...").
func sameProgram(arg0, program string) bool {
	base := filepath.Base(program)
	return filepath.Base(arg0) == base || strings.HasPrefix(arg0, base+": ")
}

// Ensure implements Services.
func (s *Sandbox) Ensure(ctx context.Context, svc Service) (Action, error) {
	r, err := s.read(svc.Name)
	if err != nil {
		return "", err
	}
	if alive(r) && slices.Equal(r.Command, svc.Command) && slices.Equal(r.Env, svc.Env) {
		if r.Digest == svc.ConfigDigest {
			return Unchanged, nil
		}
		if svc.ReloadSignal != 0 {
			if err := s.Reload(ctx, svc); err != nil {
				return "", err
			}
			return Reloaded, nil
		}
	}
	action := Started
	if alive(r) {
		action = Restarted
		if err := s.Stop(ctx, svc.Name); err != nil {
			return "", err
		}
	}
	return action, s.start(ctx, svc)
}

func (s *Sandbox) start(ctx context.Context, svc Service) error {
	logPath := s.LogPath(svc.Name)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return fmt.Errorf("failed to create log directory: %w", err)
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("failed to open log of %s: %w", svc.Name, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- okdctl: starting %s at %s\n", svc.Name, time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command(svc.Command[0], svc.Command[1:]...)
	cmd.Dir = svc.Dir
	cmd.Env = append(os.Environ(), svc.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	rec := &sandboxRecord{Command: svc.Command, Env: svc.Env,
		Digest: svc.ConfigDigest, Started: time.Now().UTC().Format(time.RFC3339Nano), Reload: int(svc.ReloadSignal)}
	// recorded before the start (pid 0, found by its command line): an
	// okdctl killed between starting the process and recording its pid
	// must not leave a service nobody knows holding its ports
	if err := s.write(svc.Name, rec); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start %s: %w", svc.Name, err)
	}
	rec.PID = cmd.Process.Pid
	if err := s.write(svc.Name, rec); err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	check := s.StartCheck
	if check == 0 {
		check = 300 * time.Millisecond
	}
	select {
	case err := <-done:
		return fmt.Errorf("%s exited right after start (%v); its log %s ends with:\n%s", svc.Name, err, logPath, tail(logPath, 15))
	case <-time.After(check):
	case <-ctx.Done():
	}
	// the process lives on after okdctl; reap it if it ends while we run
	return nil
}

func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Reload implements Services.
func (s *Sandbox) Reload(ctx context.Context, svc Service) error {
	r, err := s.read(svc.Name)
	if err != nil {
		return err
	}
	if !alive(r) {
		_, err := s.Ensure(ctx, svc)
		return err
	}
	if svc.ReloadSignal == 0 {
		if err := s.Stop(ctx, svc.Name); err != nil {
			return err
		}
		return s.start(ctx, svc)
	}
	if err := syscall.Kill(r.PID, svc.ReloadSignal); err != nil {
		return fmt.Errorf("failed to signal %s: %w", svc.Name, err)
	}
	r.Digest = svc.ConfigDigest
	return s.write(svc.Name, r)
}

// Stop implements Services: SIGTERM to the process group, SIGKILL after 10 s.
func (s *Sandbox) Stop(ctx context.Context, name string) error {
	r, err := s.read(name)
	if err != nil {
		return err
	}
	if alive(r) {
		_ = syscall.Kill(-r.PID, syscall.SIGTERM)
		_ = syscall.Kill(r.PID, syscall.SIGTERM)
		deadline := time.Now().Add(10 * time.Second)
		for alive(r) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(r) {
			_ = syscall.Kill(-r.PID, syscall.SIGKILL)
			_ = syscall.Kill(r.PID, syscall.SIGKILL)
			for i := 0; i < 100 && alive(r); i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	if err := os.Remove(s.recordPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("failed to remove record of %s: %w", name, err)
	}
	return nil
}

// Running implements Services.
func (s *Sandbox) Running(ctx context.Context, name string) (bool, error) {
	r, err := s.read(name)
	if err != nil {
		return false, err
	}
	return alive(r), nil
}

// PID returns the process id of a running sandbox service, or 0.
func (s *Sandbox) PID(name string) int {
	r, _ := s.read(name)
	if !alive(r) {
		return 0
	}
	return r.PID
}

// Names lists the services that have a record, sorted.
func (s *Sandbox) Names() []string {
	matches, _ := filepath.Glob(s.Paths.Path("/run/okdctl", "*.json"))
	var names []string
	for _, m := range matches {
		names = append(names, strings.TrimSuffix(filepath.Base(m), ".json"))
	}
	slices.Sort(names)
	return names
}

// StopAll stops every sandbox service, last started first.
func (s *Sandbox) StopAll(ctx context.Context) ([]string, error) {
	names := s.Names()
	started := map[string]string{}
	for _, n := range names {
		if r, _ := s.read(n); r != nil {
			started[n] = r.Started
		}
	}
	slices.SortStableFunc(names, func(a, b string) int { return strings.Compare(started[a], started[b]) })
	var stopped []string
	for i := len(names) - 1; i >= 0; i-- {
		if err := s.Stop(ctx, names[i]); err != nil {
			return stopped, err
		}
		stopped = append(stopped, names[i])
	}
	return stopped, nil
}

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGHUP:
		return "HUP"
	case syscall.SIGUSR1:
		return "USR1"
	case syscall.SIGUSR2:
		return "USR2"
	case syscall.SIGTERM:
		return "TERM"
	}
	return fmt.Sprint(int(sig))
}
