package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

// runOkdctl runs the okdctl binary built from this checkout (a sandbox
// runs `okdctl serve ...`, which a test binary cannot).
func runOkdctl(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(testenv.Okdctl(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// TestSandboxPlanStatusDown drives a sandbox the way a user does: apply
// the first phases, then plan (okdctl's own services hold their ports:
// preflight must not call that a failure), status (services running, the
// next command with the run's flags), down, and status again (state and
// reality differ, and it says so).
func TestSandboxPlanStatusDown(t *testing.T) {
	t.Parallel()
	spec, _ := sandboxSpec(t)
	root := t.TempDir()
	t.Cleanup(func() { runOkdctl(t, "down", "--root", root) })
	const phases = "preflight,dns,loadbalancer"
	if out, errOut, code := runOkdctl(t, "apply", "-f", spec, "--root", root, "--sandbox", "--only", phases, "--offline"); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}

	t.Run("plan after apply", func(t *testing.T) {
		out, errOut, code := runOkdctl(t, "plan", "-f", spec, "--root", root, "--sandbox", "--only", phases, "--force", "preflight", "--offline")
		if code != 0 || !strings.Contains(out, "[1/14] preflight: checks") || strings.Contains(out, "WOULD FAIL") {
			t.Fatalf("plan after a sandbox apply: exit %d\n%s%s", code, out, errOut)
		}
		if !strings.Contains(out, "would be skipped (unchanged)") {
			t.Errorf("plan does not show the applied phases unchanged:\n%s", out)
		}
		// without --sandbox too: the ports are still okdctl's own
		out, errOut, _ = runOkdctl(t, "plan", "-f", spec, "--root", root, "--only", "preflight", "--offline")
		if strings.Contains(out, "is in use by") {
			t.Errorf("plan without --sandbox calls the sandbox's own ports busy:\n%s%s", out, errOut)
		}
	})

	out, errOut, code := runOkdctl(t, "status", "-f", spec, "--root", root)
	next := "next: okdctl apply -f " + spec + " --root " + root + " --sandbox --from registry"
	for _, want := range []string{"okdctl-etcd running, okdctl-coredns running", "okdctl-haproxy running", next} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status after apply lacks %q (exit %d):\n%s%s", want, code, out, errOut)
		}
	}

	// a service that dies behind okdctl's back: state and reality differ
	sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
	if err := sb.Stop(context.Background(), "okdctl-haproxy"); err != nil {
		t.Fatal(err)
	}
	out, _, _ = runOkdctl(t, "status", "-f", spec, "--root", root)
	for _, want := range []string{"okdctl-haproxy NOT RUNNING", "state and reality differ:",
		"the state says loadbalancer is done, but okdctl-haproxy is not running",
		"next: okdctl apply -f " + spec + " --root " + root + " --sandbox (re-checks"} {
		if !strings.Contains(out, want) {
			t.Errorf("status after haproxy died lacks %q:\n%s", want, out)
		}
	}
	if rep := statusJSON(t, spec, root); !rep.Sandbox || len(rep.Services) == 0 || len(rep.Differences) != 1 {
		t.Errorf("status -o json after haproxy died: %+v", rep)
	}

	out, _, code = runOkdctl(t, "down", "-f", spec, "--root", root)
	if code != 0 || !strings.Contains(out, "okdctl status -f "+spec+" --root "+root+" shows it") ||
		!strings.Contains(out, "okdctl apply -f "+spec+" --root "+root+" --sandbox starts the services again") ||
		!strings.Contains(out, "marked the phases dns, loadbalancer stopped") {
		t.Errorf("down: exit %d\n%s", code, out)
	}
	// after down the state says what down did: no difference, the phases stopped
	out, _, _ = runOkdctl(t, "status", "-f", spec, "--root", root)
	if !regexp.MustCompile(`(?m)^dns +stopped `).MatchString(out) {
		t.Errorf("status after down does not show dns stopped:\n%s", out)
	}
	for _, want := range []string{"okdctl-etcd NOT RUNNING",
		"next: okdctl apply -f " + spec + " --root " + root + " --sandbox (starts again what okdctl down stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("status after down lacks %q:\n%s", want, out)
		}
	}
	if rep := statusJSON(t, spec, root); len(rep.Differences) != 0 {
		t.Errorf("status -o json after down: differences %v", rep.Differences)
	}
	out, errOut, code = runOkdctl(t, "plan", "-f", spec, "--root", root, "--sandbox", "--only", phases, "--offline")
	if code != 0 || !strings.Contains(out, "stopped by down since it ran") {
		t.Errorf("plan after down does not run dns again: exit %d\n%s\n%s", code, out, errOut)
	}
}

type statusJSONReport struct {
	Sandbox  bool
	Services []struct {
		Service string
		Running bool
	}
	Differences []string
}

func statusJSON(t *testing.T, spec, root string) statusJSONReport {
	t.Helper()
	out, _, _ := runOkdctl(t, "status", "-f", spec, "--root", root, "-o", "json")
	var rep statusJSONReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Errorf("status -o json: %v\n%s", err, out)
	}
	return rep
}
