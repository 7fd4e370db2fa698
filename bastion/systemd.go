package bastion

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Systemd manages services as systemd units on a real bastion.
type Systemd struct {
	Files  Files
	Runner Runner
	Paths  Paths
}

var _ Services = (*Systemd)(nil)

// UnitPath is where the unit file of a service lives.
func (s *Systemd) UnitPath(name string) string {
	return s.Paths.Path("/etc/systemd/system", name+".service")
}

func (s *Systemd) digestPath(name string) string {
	return s.Paths.Path("/var/lib/okdctl/services", name+".digest")
}

// RenderUnit renders the unit file of svc (pure).
func RenderUnit(svc Service) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by okdctl; changes are overwritten on the next apply.\n")
	fmt.Fprintf(&b, "[Unit]\nDescription=%s\n", svc.Description)
	after := append([]string{"network-online.target"}, svc.After...)
	fmt.Fprintf(&b, "Wants=network-online.target\nAfter=%s\n\n", strings.Join(after, " "))
	fmt.Fprintf(&b, "[Service]\nType=simple\n")
	if svc.User != "" {
		fmt.Fprintf(&b, "User=%s\n", svc.User)
	}
	if svc.Dir != "" {
		fmt.Fprintf(&b, "WorkingDirectory=%s\n", svc.Dir)
	}
	for _, e := range svc.Env {
		fmt.Fprintf(&b, "Environment=%s\n", quoteUnitWord(e))
	}
	renderConfinement(&b, svc)
	words := make([]string, len(svc.Command))
	for i, w := range svc.Command {
		words[i] = quoteUnitWord(w)
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(words, " "))
	if svc.ReloadSignal != 0 {
		// the shell's own kill: /bin/kill is procps', which a minimal
		// Debian bastion lacks (found on the bare real-bastion test)
		fmt.Fprintf(&b, "ExecReload=/bin/sh -c 'kill -%s \"$MAINPID\"'\n", signalName(svc.ReloadSignal))
	}
	fmt.Fprintf(&b, "Restart=on-failure\nRestartSec=2s\nLimitNOFILE=65536\n\n[Install]\nWantedBy=multi-user.target\n")
	return []byte(b.String())
}

func quoteUnitWord(w string) string {
	if w == "" || strings.ContainsAny(w, " \t\"'\\$%") {
		w = strings.ReplaceAll(w, `\`, `\\`)
		w = strings.ReplaceAll(w, `"`, `\"`)
		w = strings.ReplaceAll(w, "%", "%%")
		w = strings.ReplaceAll(w, "$", "$$")
		return `"` + w + `"`
	}
	return w
}

// Ensure implements Services.
func (s *Systemd) Ensure(ctx context.Context, svc Service) (Action, error) {
	_, err := s.Files.ReadFile(s.UnitPath(svc.Name))
	isNew := errors.Is(err, fs.ErrNotExist)
	unitChanged, err := s.Files.WriteFile(s.UnitPath(svc.Name), RenderUnit(svc), 0o644)
	if err != nil {
		return "", err
	}
	digestChanged, err := s.Files.WriteFile(s.digestPath(svc.Name), []byte(svc.ConfigDigest+"\n"), 0o644)
	if err != nil {
		return "", err
	}
	// systemd loads a unit it has never seen from disk when it is first
	// used; only a changed one needs a daemon-reload (0.2-1 s: every
	// generator runs again)
	if unitChanged && !isNew {
		if _, err := s.systemctl(ctx, "daemon-reload"); err != nil {
			return "", err
		}
	}
	running, err := s.Running(ctx, svc.Name)
	if err != nil {
		return "", err
	}
	switch {
	case !running && unitChanged:
		// reloaded already, or new: enable's own reload would cost as much
		// again
		if _, err = s.enableNew(ctx, svc.Name, isNew); err == nil {
			err = s.confirmStarted(ctx, svc.Name)
		}
		return Started, err
	case !running:
		if _, err = s.systemctl(ctx, "enable", "--now", svc.Name+".service"); err == nil {
			err = s.confirmStarted(ctx, svc.Name)
		}
		return Started, err
	case unitChanged || (digestChanged && svc.ReloadSignal == 0):
		if _, err = s.systemctl(ctx, "restart", svc.Name+".service"); err == nil {
			err = s.confirmStarted(ctx, svc.Name)
		}
		return Restarted, err
	case digestChanged:
		return Reloaded, s.Reload(ctx, svc)
	}
	return Unchanged, nil
}

// enableNew enables and starts a unit without a daemon-reload; a systemd
// that still holds the new unit as not found (older than 246, after a
// query for it) gets one, and a second try.
func (s *Systemd) enableNew(ctx context.Context, name string, isNew bool) ([]byte, error) {
	out, err := s.systemctl(ctx, "enable", "--now", "--no-reload", name+".service")
	if err == nil || !isNew {
		return out, err
	}
	if _, rerr := s.systemctl(ctx, "daemon-reload"); rerr != nil {
		return out, err
	}
	return s.systemctl(ctx, "enable", "--now", "--no-reload", name+".service")
}

// Reload implements Services.
func (s *Systemd) Reload(ctx context.Context, svc Service) error {
	verb := "reload"
	if svc.ReloadSignal == 0 {
		verb = "restart"
	}
	_, err := s.systemctl(ctx, verb, svc.Name+".service")
	return err
}

// Stop implements Services.
func (s *Systemd) Stop(ctx context.Context, name string) error {
	_, err := s.systemctl(ctx, "disable", "--now", name+".service")
	return err
}

// Running implements Services.
func (s *Systemd) Running(ctx context.Context, name string) (bool, error) {
	out, _ := s.Runner.Run(ctx, Cmd{Name: "systemctl", Args: []string{"is-active", name + ".service"}, ReadOnly: true})
	return strings.TrimSpace(string(out)) == "active", nil
}

// RunningAll is Running for several units in one systemctl call (it prints
// one state per unit, in order, whatever its exit status).
func (s *Systemd) RunningAll(ctx context.Context, names []string) map[string]bool {
	out := make(map[string]bool, len(names))
	if len(names) == 0 {
		return out
	}
	args := []string{"is-active"}
	for _, n := range names {
		args = append(args, n+".service")
	}
	res, _ := s.Runner.Run(ctx, Cmd{Name: "systemctl", Args: args, ReadOnly: true})
	states := strings.Fields(string(res))
	for i, n := range names {
		out[n] = i < len(states) && len(states) == len(names) && states[i] == "active"
	}
	return out
}

func (s *Systemd) systemctl(ctx context.Context, args ...string) ([]byte, error) {
	return s.Runner.Run(ctx, Cmd{Name: "systemctl", Args: args})
}
