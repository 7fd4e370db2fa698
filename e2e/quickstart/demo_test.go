package quickstart

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
)

// TestMakeDemo runs README's first command, `make demo`, with the
// Makefile's own recipe (make -o tools -o build demo: the test has put the
// built programs in bin/ and checks the tools itself) in a copy of the
// Makefile, scripts/ and examples/, without the e2e rehearsal it ends with
// (DEMO_SKIP_REHEARSAL=1; make e2e runs it). The second apply must report
// every phase unchanged; then `make demo-down` must leave nothing running.
func TestMakeDemo(t *testing.T) {
	needPrivateNetwork(t)
	for _, p := range []string{"make", "haproxy", "nginx", "dig", "curl"} {
		testenv.Binary(t, p)
	}
	tree := newTree(t, "Makefile", "scripts", "examples")
	env := userEnv("DEMO_SKIP_REHEARSAL=1")

	demo := run(t, tree, env, 5*time.Minute, "make", "-C", tree, "-o", "tools", "-o", "build", "demo")
	t.Logf("make demo: exit status %d in %s", demo.code, demo.elapsed.Round(time.Millisecond))
	if demo.code != 0 {
		t.Fatalf("make demo failed (exit status %d):\n%s", demo.code, demo.out)
	}
	first, again := demoStep(t, demo.out, "okdctl apply"), demoStep(t, demo.out, "the same again")
	done := summary(t, first, "done", "the first apply")
	unchanged := summary(t, again, "unchanged", "the second apply")
	if unchanged != done {
		t.Errorf("the second apply confirmed %d phases unchanged, the first ran %d", unchanged, done)
	}
	rows := phaseRows(again)
	if len(rows) != unchanged {
		t.Errorf("the second apply's table has %d phases, its summary %d", len(rows), unchanged)
	}
	for _, row := range rows {
		if row[1] != "unchanged" {
			t.Errorf("the second apply: phase %s is %s, not unchanged", row[0], row[1])
		}
	}
	if !strings.Contains(demo.out, "DEMO_SKIP_REHEARSAL=1: the e2e rehearsal is skipped") ||
		!strings.Contains(demo.out, "stop them with: make demo-down") {
		t.Errorf("make demo did not run to its end (the rehearsal skipped, then how to stop the services):\n%s", demo.out)
	}
	if t.Failed() {
		t.Logf("make demo's output:\n%s", demo.out)
	}

	down := run(t, tree, env, 2*time.Minute, "make", "-C", tree, "demo-down")
	t.Logf("make demo-down: exit status %d in %s", down.code, down.elapsed.Round(time.Millisecond))
	if down.code != 0 {
		t.Fatalf("make demo-down failed (exit status %d):\n%s", down.code, down.out)
	}
	for _, svc := range []string{"okdctl-etcd", "okdctl-coredns", "okdctl-haproxy", "okdctl-registry", "okdctl-nginx", "okdctl-release-source"} {
		if !strings.Contains(down.out, "stopped "+svc+"\n") {
			t.Errorf("make demo-down did not say it stopped %s:\n%s", svc, down.out)
		}
	}
	checkStopped(t, tree, "make demo-down")
}

// demoStep is the output of demo.sh's step whose "==> " line starts with
// prefix (the first such step).
func demoStep(t *testing.T, out, prefix string) string {
	t.Helper()
	var body strings.Builder
	in := false
	for _, line := range strings.SplitAfter(out, "\n") {
		if header, ok := strings.CutPrefix(line, "==> "); ok {
			if in {
				break
			}
			in = strings.HasPrefix(header, prefix)
			continue
		}
		if in {
			body.WriteString(line)
		}
	}
	if !in {
		t.Errorf("make demo has no step %q", prefix)
	}
	return body.String()
}

// summary checks an apply's last line says every selected phase is in
// state (`14 phases: 10 unchanged, 4 not selected in 476ms`) and returns how many.
func summary(t *testing.T, out, state, what string) int {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\d+ phases: (\d+) ` + state + `, \d+ not selected in \S+$`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Errorf("%s does not end with `N phases: M %s, K not selected in ...` (every selected phase %s):\n%s", what, state, state, out)
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	if n == 0 {
		t.Errorf("%s ran no phase:\n%s", what, out)
	}
	return n
}

// phaseRows are the rows of an apply's summary table: phase, status.
func phaseRows(out string) [][2]string {
	var rows [][2]string
	in := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "PHASE" && f[1] == "STATUS":
			in, rows = true, nil
		case in && len(f) == 0:
			in = false
		case in && len(f) >= 2:
			rows = append(rows, [2]string{f[0], f[1]})
		}
	}
	return rows
}
