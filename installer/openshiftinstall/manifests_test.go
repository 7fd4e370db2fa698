package openshiftinstall

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestPatchSchedulerGolden(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile("testdata/scheduler/input.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, schedulable := range []bool{false, true} {
		out, err := PatchScheduler(in, schedulable)
		if err != nil {
			t.Fatal(err)
		}
		name := "scheduler/unschedulable"
		if schedulable {
			name = "scheduler/schedulable"
		}
		assertGolden(t, name, out)
		var back struct {
			Spec struct {
				MastersSchedulable bool `yaml:"mastersSchedulable"`
				Policy             struct {
					Name *string `yaml:"name"`
				} `yaml:"policy"`
			} `yaml:"spec"`
		}
		if err := yaml.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		if back.Spec.MastersSchedulable != schedulable || back.Spec.Policy.Name == nil {
			t.Errorf("patched %v: %+v", schedulable, back.Spec)
		}
		again, _ := PatchScheduler(out, schedulable)
		if string(again) != string(out) {
			t.Errorf("patching twice changes the file")
		}
	}
}

func TestPatchSchedulerAddsMissingField(t *testing.T) {
	t.Parallel()
	out, err := PatchScheduler([]byte("apiVersion: config.openshift.io/v1\nkind: Scheduler\nmetadata:\n  name: cluster\n"), false)
	if err != nil || !strings.Contains(string(out), "spec:\n  mastersSchedulable: false\n") {
		t.Errorf("PatchScheduler = %s, %v", out, err)
	}
	if _, err := PatchScheduler([]byte("kind: Proxy\n"), false); err == nil {
		t.Error("a Proxy manifest is patched")
	}
	if _, err := PatchScheduler([]byte("{"), false); err == nil {
		t.Error("malformed YAML is patched")
	}
}
