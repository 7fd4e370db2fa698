package bastion

import (
	"context"
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
		if strings.Join(run.changed, "|") != "systemctl daemon-reload|systemctl enable --now --no-reload okdctl-web.service" {
			t.Errorf("ran %q", run.changed)
		}
	}
}
