package installer

import (
	"strings"
	"testing"
)

// TestSelectionOfNothingIsAnError: options that leave no phase selected
// (--only dns --skip dns) are an error, not a run that does nothing and
// exits 0.
func TestSelectionOfNothingIsAnError(t *testing.T) {
	t.Parallel()
	r := &Runner{}
	for _, tc := range []struct {
		o    ApplyOptions
		want string
	}{
		{ApplyOptions{Only: []string{PhaseDNS}, Skip: []string{PhaseDNS}}, "the options select no phase (--only dns --skip dns)"},
		{ApplyOptions{From: PhaseComplete, Skip: []string{PhaseComplete}}, "the options select no phase (--from complete --skip complete)"},
	} {
		if _, err := r.selection(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
	sel, err := r.selection(ApplyOptions{Only: []string{PhaseDNS, PhaseHTTP}, Skip: []string{PhaseDNS}})
	if err != nil || !sel[PhaseHTTP] || sel[PhaseDNS] {
		t.Errorf("--only dns,http --skip dns: %v %v", sel, err)
	}
}
