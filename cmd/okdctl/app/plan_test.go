package app

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanIsAShortStableSummary: the lab plan is a summary of at most 120
// lines that prints the same bytes twice (no freshly generated CA in it),
// describes the certificates it would generate, shows each boot line once,
// hides every secret, and exits 1 naming the phases that would fail here
// (the lab's bastion address is not this machine's).
func TestPlanIsAShortStableSummary(t *testing.T) {
	t.Parallel()
	spec := filepath.Join(copyExamples(t), "lab.yaml")
	root := t.TempDir()
	first, errOut, code := run(t, "plan", "-f", spec, "--root", root, "--offline")
	if code != 1 || !strings.HasPrefix(errOut, "ERROR: the plan has ") || !strings.Contains(errOut, "would fail: preflight") {
		t.Fatalf("plan: exit %d, stderr %q", code, errOut)
	}
	for _, p := range strings.Split(strings.SplitN(errOut, ": ", 3)[2], ", ") {
		p, _, _ = strings.Cut(p, " ")
		if !strings.Contains(first, "] "+p+": ") || !strings.Contains(first, "WOULD FAIL") {
			t.Errorf("stderr names %q, which the plan does not mark WOULD FAIL", p)
		}
	}
	second, _, _ := run(t, "plan", "-f", spec, "--root", root, "--offline")
	if first != second {
		t.Errorf("two plans of the same spec differ:\n%s\n----\n%s", first, second)
	}
	if n := strings.Count(first, "\n"); n > 120 {
		t.Errorf("the lab plan has %d lines, want at most 120:\n%s", n, first)
	}
	for _, want := range []string{
		"create " + root + "/var/lib/okdctl/okd/pki/ca.crt (0644), certificate CN=okdctl CA for okd.example,O=okdctl, CA, self-signed, ECDSA P-256, valid 3650 days",
		"certificate CN=registry.okd.example,O=okdctl, SANs registry.okd.example 192.168.120.101, issued by CN=okdctl CA for okd.example,O=okdctl",
		"install-config.yaml (0600), secrets redacted",
		"create " + root + "/etc/coredns/Corefile (0644, ", "start okdctl-coredns",
		"11 to add, 0 to change, 0 to delete",
		"Plan: 14 phases: ",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("the plan lacks %q:\n%s", want, first)
		}
	}
	if n := strings.Count(first, "coreos.inst.ignition_url=http://192.168.120.101:8080/ignition/master.ign"); n != 1 {
		t.Errorf("the master's boot line appears %d times, want once", n)
	}
	noSecrets(t, "plan", first)

	diff, _, _ := run(t, "plan", "-f", spec, "--root", root, "--diff", "--offline")
	for _, want := range []string{"# The spec " + spec + " with defaults filled in:", "+pullSecret: '<redacted: credentials for 192.168.120.101:5000, registry.okd.example:5000>'",
		"+additionalTrustBundle: |", "+  <certificate CN=okdctl CA for okd.example,O=okdctl, CA", "+    bind 192.168.120.101"} {
		if !strings.Contains(diff, want) {
			t.Errorf("plan --diff lacks %q", want)
		}
	}
	noSecrets(t, "plan --diff", diff)
	if v, _, _ := run(t, "plan", "-f", spec, "--root", root, "-v", "--offline"); v != diff {
		t.Error("plan -v differs from plan --diff")
	}
}

func TestPlanJSONIsTheWholePlan(t *testing.T) {
	t.Parallel()
	spec := filepath.Join(copyExamples(t), "ha.yaml")
	root := t.TempDir()
	first, _, code := run(t, "plan", "-f", spec, "--root", root, "-o", "json", "--offline")
	second, _, _ := run(t, "plan", "-f", spec, "--root", root, "-o", "json", "--offline")
	var doc struct {
		Spec struct{ Metadata struct{ Name string } }
		Plan struct {
			Results []struct {
				Phase, Status string
				Duration      int64
				Planned       []struct{ Kind, Summary, Diff string }
			}
		}
		Boot []struct{ Name, KernelArgs string }
	}
	if err := json.Unmarshal([]byte(first), &doc); err != nil || code != 1 {
		t.Fatalf("plan -o json: exit %d, %v\n%s", code, err, first)
	}
	if first != second {
		t.Error("two JSON plans of the same spec differ")
	}
	if len(doc.Plan.Results) != 14 || doc.Spec.Metadata.Name == "" || len(doc.Boot) == 0 || doc.Boot[0].KernelArgs == "" {
		t.Errorf("the JSON plan is not whole: %d results, %d boot records", len(doc.Plan.Results), len(doc.Boot))
	}
	diffs := 0
	for _, r := range doc.Plan.Results {
		for _, p := range r.Planned {
			if p.Diff != "" {
				diffs++
			}
		}
	}
	if diffs == 0 {
		t.Error("the JSON plan carries no diff")
	}
	noSecrets(t, "plan -o json", first)
}

// noSecrets fails when a plan shows key or certificate material.
func noSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, bad := range []string{"BEGIN CERTIFICATE", "PRIVATE KEY", `"auth":`, `\"auth\":`, "$2a$", "$2y$"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s shows %q", what, bad)
		}
	}
}
