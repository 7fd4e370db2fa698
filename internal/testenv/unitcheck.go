package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// MaxExposure is the highest `systemd-analyze security` exposure an okdctl
// unit may have (systemd's own networkd and logind score 2.8 and 3.0).
const MaxExposure = 3.0

var exposureLine = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

// VerifyUnit writes unit as name.service, checks it with `systemd-analyze
// verify` (tolerating only programs missing on this machine, listed in
// tolerate as substrings) and returns its `systemd-analyze security`
// exposure, failing the test above MaxExposure unless unconfined is set.
func VerifyUnit(t *testing.T, name string, unit []byte, unconfined bool, tolerate ...string) float64 {
	t.Helper()
	sa := Binary(t, "systemd-analyze")
	path := filepath.Join(t.TempDir(), name+".service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(sa, "verify", path).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, name+".service:") && !tolerated(line, append(tolerate, "No such file")) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
	out, err := exec.Command(sa, "security", "--offline=true", "--no-pager", path).CombinedOutput()
	m := exposureLine.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security %s: no exposure level (%v):\n%s", name, err, out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("%s.service: systemd-analyze security exposure %.1f", name, score)
	if score > MaxExposure && !unconfined {
		t.Errorf("%s.service: exposure %.1f, want at most %.1f:\n%s", name, score, MaxExposure, out)
	}
	return score
}

func tolerated(line string, subs []string) bool {
	for _, s := range subs {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}
