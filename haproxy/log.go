package haproxy

import (
	"os"
	"strings"
)

// tailFile returns the last n lines of a file (empty when unreadable).
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return lastLines(string(data), n)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// alerts keeps the ALERT lines of a log excerpt (the reasons a load
// failed), or its last lines when there are none.
func alerts(log string) string {
	var keep []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "[ALERT]") {
			keep = append(keep, line)
		}
	}
	if len(keep) == 0 {
		return lastLines(log, 12)
	}
	return strings.Join(keep, "\n")
}
