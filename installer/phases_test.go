package installer

import (
	"slices"
	"testing"
)

// TestPlanNeedsNameEarlierPhases checks the plan's declarations: names
// unique and equal to what each phase type says, every Needs entry an
// earlier phase (a typo or a later phase would silently turn re-runs off).
func TestPlanNeedsNameEarlierPhases(t *testing.T) {
	t.Parallel()
	var earlier []string
	for _, d := range Plan() {
		if slices.Contains(earlier, d.Name) {
			t.Errorf("phase %q is declared twice", d.Name)
		}
		if got := d.New().Name(); got != d.Name {
			t.Errorf("phase %q: its type calls itself %q", d.Name, got)
		}
		if d.Describe == "" {
			t.Errorf("phase %q has no description", d.Name)
		}
		for _, need := range d.Needs {
			if !slices.Contains(earlier, need) {
				t.Errorf("phase %q needs %q, which is not an earlier phase (earlier: %v)", d.Name, need, earlier)
			}
		}
		if got := Declared(d.New()); got.Describe != d.Describe || !slices.Equal(got.Needs, d.Needs) {
			t.Errorf("phase %q: Declared says %+v, the plan %+v", d.Name, got, d)
		}
		earlier = append(earlier, d.Name)
	}
}
