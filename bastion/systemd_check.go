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
// within it. A unit whose processes hold listening sockets for
// listenSettle while it stays active has got past both, and passes early.
const (
	startCheck   = 600 * time.Millisecond
	listenSettle = 100 * time.Millisecond
	checkEvery   = 50 * time.Millisecond
)

// confirmStarted watches a unit just started or restarted for startCheck
// (or until it listens, see listenSettle); if it fails or restarts
// (Restart=on-failure hides a crash loop behind "activating"), the error
// names the unit and ends with its last journal lines.
func (s *Systemd) confirmStarted(ctx context.Context, name string) error {
	unit := name + ".service"
	deadline := time.Now().Add(startCheck)
	var listening time.Time
	for {
		st := s.unitState(ctx, unit)
		if st.state != "active" || st.restarts > 0 {
			state := st.state
			if st.restarts > 0 {
				state = "restarted by systemd " + strconv.Itoa(st.restarts) + " times"
			}
			return fmt.Errorf("%s failed to start (%s): its journal ends with:\n%s", unit, state, s.journalTail(ctx, unit))
		}
		now := time.Now()
		switch {
		case now.After(deadline):
			return nil
		case !unitListens(st.cgroup):
			listening = time.Time{}
		case listening.IsZero():
			listening = now
		case now.Sub(listening) >= listenSettle:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(checkEvery):
		}
	}
}

type unitStatus struct {
	state    string // ActiveState, with SubState unless running
	restarts int
	cgroup   string // ControlGroup
}

// unitState is the unit's state, restart count and control group.
func (s *Systemd) unitState(ctx context.Context, unit string) unitStatus {
	out, _ := s.Runner.Run(ctx, Cmd{Name: "systemctl", Args: []string{"show", "-p", "ActiveState,SubState,NRestarts,ControlGroup", unit}, ReadOnly: true})
	props := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			props[k] = v
		}
	}
	st := unitStatus{state: props["ActiveState"], cgroup: props["ControlGroup"]}
	st.restarts, _ = strconv.Atoi(props["NRestarts"])
	if sub := props["SubState"]; sub != "" && sub != "running" {
		st.state += "/" + sub
	}
	return st
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
