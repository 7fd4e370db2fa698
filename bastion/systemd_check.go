package bastion

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// startCheck is how long a freshly started unit must stay active: a
// program that cannot bind its port or read its configuration exits
// within it.
const startCheck = 600 * time.Millisecond

// confirmStarted watches a unit just started or restarted for startCheck;
// if it fails or restarts (Restart=on-failure hides a crash loop behind
// "activating"), the error names the unit and ends with its last journal
// lines.
func (s *Systemd) confirmStarted(ctx context.Context, name string) error {
	unit := name + ".service"
	deadline := time.Now().Add(startCheck)
	for {
		state, restarts := s.unitState(ctx, unit)
		if state != "active" || restarts > 0 {
			if restarts > 0 {
				state = "restarted by systemd " + strconv.Itoa(restarts) + " times"
			}
			return fmt.Errorf("%s failed to start (%s): its journal ends with:\n%s", unit, state, s.journalTail(ctx, unit))
		}
		if time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// unitState is the unit's ActiveState/SubState and its restart count.
func (s *Systemd) unitState(ctx context.Context, unit string) (string, int) {
	out, _ := s.Runner.Run(ctx, Cmd{Name: "systemctl", Args: []string{"show", "-p", "ActiveState,SubState,NRestarts", unit}, ReadOnly: true})
	props := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			props[k] = v
		}
	}
	restarts, _ := strconv.Atoi(props["NRestarts"])
	state := props["ActiveState"]
	if sub := props["SubState"]; sub != "" && sub != "running" {
		state += "/" + sub
	}
	return state, restarts
}

// journalTail is the unit's last lines in the journal, indented.
func (s *Systemd) journalTail(ctx context.Context, unit string) string {
	out, err := s.Runner.Run(ctx, Cmd{Name: "journalctl", Args: []string{"-u", unit, "-n", "12", "--no-pager", "-o", "short-iso"}, ReadOnly: true})
	if err != nil || len(strings.TrimSpace(string(out))) == 0 {
		return "  (no journal lines: see journalctl -u " + unit + ")"
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return "  " + strings.Join(lines, "\n  ")
}
