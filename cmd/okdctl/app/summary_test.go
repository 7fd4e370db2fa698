package app

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/installer"
)

// TestSummaryCountsAddUpToEveryPhase: after a failure, the phases not
// reached are counted too, so the summary line adds up to the 14 phases.
func TestSummaryCountsAddUpToEveryPhase(t *testing.T) {
	t.Parallel()
	sum := &installer.Summary{Results: []installer.Result{
		{Phase: "preflight", Status: installer.StatusUnchanged}, {Phase: "dns", Status: installer.StatusDone},
		{Phase: "loadbalancer", Status: installer.StatusSkipped}, {Phase: "registry", Status: "not selected"},
		{Phase: "mirror", Status: installer.StatusFailed},
	}}
	var out strings.Builder
	printSummary(&out, sum, false)
	last := strings.TrimSpace(out.String()[strings.LastIndex(strings.TrimSpace(out.String()), "\n"):])
	if !strings.HasPrefix(last, "14 phases: 1 done, 1 unchanged, 1 skipped (do not apply), 1 failed, 1 not selected, 9 not reached in ") {
		t.Fatalf("summary line %q", last)
	}
	total := 0
	for _, m := range regexp.MustCompile(`(?:: |, )(\d+) `).FindAllStringSubmatch(last, -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total != len(installer.PhaseNames()) {
		t.Errorf("the counts add up to %d, not %d: %q", total, len(installer.PhaseNames()), last)
	}
}

// TestBootWarnsWithoutStateUnderRoot: boot --root DIR where DIR holds no
// okdctl state (a typo, another run's root) says so, and still prints.
func TestBootWarnsWithoutStateUnderRoot(t *testing.T) {
	t.Parallel()
	spec := copyExamples(t) + "/lab.yaml"
	root := t.TempDir()
	out, errOut, code := run(t, "boot", "-f", spec, "--root", root, "master")
	if code != 0 || !strings.Contains(errOut, "WARNING: no okdctl state under --root "+root) || !strings.Contains(out, "master.okd.example") {
		t.Errorf("boot --root with no state: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, _ := run(t, "boot", "-f", spec, "master"); strings.Contains(errOut, "no okdctl state") {
		t.Errorf("boot without --root warns about --root: %s", errOut)
	}
}
