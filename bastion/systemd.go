package bastion

import (
	"context"
	"fmt"
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
	unitChanged, err := s.Files.WriteFile(s.UnitPath(svc.Name), RenderUnit(svc), 0o644)
	if err != nil {
		return "", err
	}
	digestChanged, err := s.Files.WriteFile(s.digestPath(svc.Name), []byte(svc.ConfigDigest+"\n"), 0o644)
	if err != nil {
		return "", err
	}
	if unitChanged {
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
		// just reloaded: enable's own reload (every generator again) would
		// cost another second
		if _, err = s.systemctl(ctx, "enable", "--now", "--no-reload", svc.Name+".service"); err == nil {
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

func (s *Systemd) systemctl(ctx context.Context, args ...string) ([]byte, error) {
	return s.Runner.Run(ctx, Cmd{Name: "systemctl", Args: args})
}
