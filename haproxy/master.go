package haproxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// procStatus is what the master CLI's `show proc` reports.
type procStatus struct {
	MasterPID int
	// Reloads counts the master's reloads; Failed counts the failed ones
	// since the last success (the old workers keep serving meanwhile).
	Reloads int
	Failed  int
	Workers []int
}

var masterLine = regexp.MustCompile(`^(\d+)\s+master\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?`)

// showProc asks the master CLI socket for the process status.
func showProc(ctx context.Context, socket string) (*procStatus, error) {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, fmt.Errorf("failed to reach the haproxy master socket: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "show proc\n"); err != nil {
		return nil, fmt.Errorf("failed to query the haproxy master: %w", err)
	}
	if uc, ok := c.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	out, err := io.ReadAll(c)
	if err != nil {
		return nil, fmt.Errorf("failed to query the haproxy master: %w", err)
	}
	return parseProc(string(out))
}

func parseProc(out string) (*procStatus, error) {
	st := &procStatus{}
	section := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "# "):
			section = strings.TrimPrefix(line, "# ")
		case masterLine.MatchString(line):
			m := masterLine.FindStringSubmatch(line)
			st.MasterPID, _ = strconv.Atoi(m[1])
			st.Reloads, _ = strconv.Atoi(m[2])
			st.Failed, _ = strconv.Atoi(m[3])
		case section == "workers" && line != "":
			if pid, err := strconv.Atoi(strings.Fields(line)[0]); err == nil {
				st.Workers = append(st.Workers, pid)
			}
		}
	}
	if st.MasterPID == 0 {
		return nil, fmt.Errorf("unexpected answer from the haproxy master: %q", out)
	}
	return st, nil
}
