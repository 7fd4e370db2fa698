package app

import (
	"regexp"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/spec/release"
)

func TestVersionPrintsBuildAndMatrix(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, errOut, code := run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if !regexp.MustCompile(`^okdctl \S+, commit \S+`).MatchString(lines[0]) {
			t.Errorf("%v: first line %q", args, lines[0])
		}
		matrix := release.Matrix()
		rows := lines[len(lines)-len(matrix):]
		if !strings.HasPrefix(rows[0], "4.5-4.7 ") || !strings.Contains(out, "RELEASE    MIRROR FIELD") {
			t.Errorf("%v: no matrix:\n%s", args, out)
		}
		for i, l := range matrix {
			for _, col := range []string{l.Releases(), l.MirrorField, l.CoreOS, l.NetworkType, l.SingleMaster} {
				if !strings.Contains(rows[i], col) {
					t.Errorf("%v: row %q lacks %q", args, rows[i], col)
				}
			}
		}
		if !strings.Contains(out, "newer than "+release.Newest.String()) {
			t.Errorf("%v: the newest known release is not named:\n%s", args, out)
		}
	}
}

func TestVersionLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		b    build
		want string
	}{
		{build{Version: "(devel)", Commit: "unknown"}, "okdctl (devel), commit unknown"},
		{build{Version: "v0.3.0", Commit: "36fdaac1e2", Time: "2026-11-29T12:00:00Z"}, "okdctl v0.3.0, commit 36fdaac1e2 (2026-11-29T12:00:00Z)"},
		{build{Version: "(devel)", Commit: "36fdaac1e2", Modified: true}, "okdctl (devel), commit 36fdaac1e2, with uncommitted changes"},
	} {
		if got := tc.b.versionLine(); got != tc.want {
			t.Errorf("versionLine() = %q, want %q", got, tc.want)
		}
	}
}
