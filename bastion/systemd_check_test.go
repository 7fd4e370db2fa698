package bastion

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// unitHost answers systemctl and journalctl like a host whose unit keeps
// failing to bind its port, recording the commands that change something.
type unitHost struct {
	show    string
	changed []string
}

func (u *unitHost) Run(_ context.Context, c Cmd) ([]byte, error) {
	line := strings.Join(append([]string{c.Name}, c.Args...), " ")
	switch {
	case !c.ReadOnly:
		u.changed = append(u.changed, line)
		return nil, nil
	case strings.HasPrefix(line, "systemctl is-active"):
		return []byte("inactive\n"), nil
	case strings.HasPrefix(line, "systemctl show"):
		return []byte(u.show), nil
	case strings.HasPrefix(line, "journalctl -u okdctl-web.service"):
		return []byte("web[12]: bind 192.168.120.101:8080: address already in use\nsystemd[1]: okdctl-web.service: Failed with result 'exit-code'.\n"), nil
	}
	return nil, os.ErrNotExist
}

// TestUnitThatFailsToStart: enable --now succeeds for a Type=simple unit
// even when its program exits at once; Ensure watches it and names the
// unit with its journal, and a unit that stays up passes.
func TestUnitThatFailsToStart(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ show, want string }{
		{"ActiveState=activating\nSubState=auto-restart\nNRestarts=0\n", "okdctl-web.service failed to start (activating/auto-restart)"},
		{"ActiveState=active\nSubState=running\nNRestarts=2\n", "okdctl-web.service failed to start (restarted by systemd 2 times)"},
		{"ActiveState=active\nSubState=running\nNRestarts=0\n", ""},
	} {
		run := &unitHost{show: c.show}
		s := &Systemd{Files: &DiskFiles{}, Runner: run, Paths: Paths{Root: t.TempDir()}}
		_, err := s.Ensure(context.Background(), Service{Name: "okdctl-web", Command: []string{"/usr/bin/web"}})
		if c.want == "" {
			if err != nil {
				t.Errorf("a unit that stays up: %v", err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want+": its journal ends with:\n") || !strings.Contains(err.Error(), "address already in use") {
			t.Errorf("error %v, want %q and the journal", err, c.want)
		}
		if strings.Join(run.changed, "|") != "systemctl enable --now --no-reload okdctl-web.service" { // a new unit: no daemon-reload
			t.Errorf("ran %q", run.changed)
		}
	}
}

// stateHost answers systemctl is-active with one state per unit asked.
type stateHost struct {
	states map[string]string
	calls  []string
}

func (s *stateHost) Run(_ context.Context, c Cmd) ([]byte, error) {
	s.calls = append(s.calls, strings.Join(append([]string{c.Name}, c.Args...), " "))
	var out []string
	for _, u := range c.Args[1:] {
		st := s.states[u]
		if st == "" {
			st = "inactive"
		}
		out = append(out, st)
	}
	return []byte(strings.Join(out, "\n") + "\n"), os.ErrProcessDone // is-active exits 3 when one is not active
}

// TestRunningAll asks systemd about every unit at once.
func TestRunningAll(t *testing.T) {
	t.Parallel()
	h := &stateHost{states: map[string]string{"okdctl-haproxy.service": "active", "okdctl-nginx.service": "activating"}}
	got := RunningAll(context.Background(), &Systemd{Runner: h}, []string{"okdctl-haproxy", "okdctl-nginx", "okdctl-etcd"})
	if !got["okdctl-haproxy"] || got["okdctl-nginx"] || got["okdctl-etcd"] || len(got) != 3 {
		t.Errorf("running %v", got)
	}
	if len(h.calls) != 1 || h.calls[0] != "systemctl is-active okdctl-haproxy.service okdctl-nginx.service okdctl-etcd.service" {
		t.Errorf("commands %q, want one systemctl is-active for all", h.calls)
	}
}

// reloadHost is a host whose systemd may not know a new unit until a
// daemon-reload (systemd before 246, after a query for it).
type reloadHost struct {
	unitHost
	needsReload bool
}

func (r *reloadHost) Run(ctx context.Context, c Cmd) ([]byte, error) {
	line := strings.Join(append([]string{c.Name}, c.Args...), " ")
	if line == "systemctl daemon-reload" {
		r.needsReload = false
	}
	if strings.HasPrefix(line, "systemctl enable") && r.needsReload {
		r.changed = append(r.changed, line)
		return nil, errors.New("Unit okdctl-web.service not found")
	}
	return r.unitHost.Run(ctx, c)
}

// TestDaemonReloadOnlyWhenNeeded: a new unit starts without a
// daemon-reload (unless systemd does not find it), a changed one gets one.
func TestDaemonReloadOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	up := "ActiveState=active\nSubState=running\nNRestarts=0\n"
	for _, c := range []struct {
		name        string
		existing    bool
		needsReload bool
		want        string
	}{
		{"new", false, false, "systemctl enable --now --no-reload okdctl-web.service"},
		{"new, unknown to an old systemd", false, true, "systemctl enable --now --no-reload okdctl-web.service|systemctl daemon-reload|systemctl enable --now --no-reload okdctl-web.service"},
		{"changed", true, false, "systemctl daemon-reload|systemctl enable --now --no-reload okdctl-web.service"},
	} {
		run := &reloadHost{unitHost: unitHost{show: up}, needsReload: c.needsReload}
		s := &Systemd{Files: &DiskFiles{}, Runner: run, Paths: Paths{Root: t.TempDir()}}
		if c.existing {
			if _, err := s.Files.WriteFile(s.UnitPath("okdctl-web"), []byte("[Unit]\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Ensure(context.Background(), Service{Name: "okdctl-web", Command: []string{"/usr/bin/web"}}); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if got := strings.Join(run.changed, "|"); got != c.want {
			t.Errorf("%s: ran %q, want %q", c.name, got, c.want)
		}
	}
}
