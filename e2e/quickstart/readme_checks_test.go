package quickstart

import (
	"regexp"
	"strings"
	"testing"
)

// the sandbox's nodes (examples/sandbox.yaml) and the phases with services
var (
	sandboxNodes   = []string{"bootstrap", "m0", "w0"}
	servicePhases  = []string{"dns", "loadbalancer", "registry", "http"}
	sandboxApplied = []string{"preflight", "dns", "loadbalancer", "registry", "mirror", "installconfig", "manifests", "ignition", "http", "boot"}
)

func failStep(t *testing.T, s *step, format string, args ...any) {
	t.Helper()
	t.Errorf("`%s` (exit status %d): "+format+"\nstdout:\n%s\nstderr:\n%s", append(append([]any{s.command, s.code}, args...), s.out, s.errOut)...)
}

func checkExit(t *testing.T, s *step) {
	t.Helper()
	if s.code != 0 {
		failStep(t, s, "failed")
	}
}

// checkRelease: synthrelease pushed the release and printed it by digest.
func checkRelease(t *testing.T, s *step) {
	t.Helper()
	checkExit(t, s)
	img := s.env["FAKEINSTALL_RELEASE_IMAGE"]
	if !regexp.MustCompile(`^127\.0\.0\.1:15001/okd/release@sha256:[0-9a-f]{64}$`).MatchString(img) {
		failStep(t, s, "FAKEINSTALL_RELEASE_IMAGE is %q, not the synthetic release by digest", img)
	}
	if !strings.Contains(s.errOut, "synthetic release pushed: 127.0.0.1:15001/okd/release:4.16.0-0.okd-sandbox") {
		failStep(t, s, "synthrelease did not say it pushed the release")
	}
}

func checkApply(t *testing.T, s *step) {
	t.Helper()
	checkExit(t, s)
	if !regexp.MustCompile(`(?m)^14 phases: 10 done, 4 not selected in \S+$`).MatchString(s.out) {
		failStep(t, s, "does not end with `14 phases: 10 done, 4 not selected`")
	}
}

// checkAnswer: dig answers what the comment promises, and the README
// promises want.
func checkAnswer(want string) func(t *testing.T, s *step) {
	return func(t *testing.T, s *step) {
		t.Helper()
		checkExit(t, s)
		if promise, _, _ := strings.Cut(s.comment, ","); promise != want {
			t.Errorf("README.md's comment on `%s` promises %q, the test checks %q: update the test with the README", s.command, promise, want)
		}
		if got := strings.TrimSpace(s.out); got != want {
			failStep(t, s, "answered %q, the README promises %q", got, want)
		}
	}
}

func checkStats(t *testing.T, s *step) {
	t.Helper()
	checkExit(t, s)
	if !strings.Contains(s.out, "<title>Statistics Report for HAProxy</title>") {
		failStep(t, s, "no HAProxy statistics page")
	}
}

// checkBoot: a boot line with the ignition hash for every node.
func checkBoot(t *testing.T, s *step) {
	t.Helper()
	checkExit(t, s)
	for _, n := range sandboxNodes {
		re := regexp.MustCompile(`--ignition-url=http://127\.0\.1\.1:18081/ignition/` + n + `\.ign --ignition-hash=sha512-[0-9a-f]{128}\n`)
		if !re.MatchString(s.out) {
			failStep(t, s, "no boot line with the ignition hash for %s", n)
		}
	}
}

// checkStatus: the applied phases done, their services running.
func checkStatus(t *testing.T, s *step) {
	t.Helper()
	checkExit(t, s)
	rows := statusRows(s.out)
	for _, p := range sandboxApplied {
		if rows[p][0] != "done" {
			failStep(t, s, "phase %s is not done", p)
		}
	}
	for _, p := range servicePhases {
		if r := rows[p]; !strings.Contains(r[1], " running") || strings.Contains(r[1], "NOT RUNNING") {
			failStep(t, s, "phase %s's services are not all running", p)
		}
	}
}

func checkDown(t *testing.T, s *step) {
	t.Helper()
	checkExit(t, s)
	for _, svc := range []string{"okdctl-etcd", "okdctl-coredns", "okdctl-haproxy", "okdctl-registry", "okdctl-nginx", "okdctl-release-source"} {
		if !strings.Contains(s.out, "stopped "+svc+"\n") {
			failStep(t, s, "did not say it stopped %s", svc)
		}
	}
}

// checkStatusAfterDown: what the README says status shows after down: the
// state kept, the phases whose services down stopped `stopped` with their
// services NOT RUNNING, and the apply that starts them again.
func checkStatusAfterDown(t *testing.T, r result) {
	t.Helper()
	s := &step{command: "bin/okdctl status (after down)", code: r.code, out: r.out}
	checkExit(t, s)
	rows := statusRows(r.out)
	for _, p := range sandboxApplied {
		want := "done"
		switch p {
		case "dns", "loadbalancer", "registry", "http", "boot":
			want = "stopped"
		}
		if rows[p][0] != want {
			failStep(t, s, "phase %s is not %s", p, want)
		}
	}
	for _, p := range servicePhases {
		if r := rows[p]; !strings.Contains(r[1], "NOT RUNNING") || strings.Contains(strings.ReplaceAll(r[1], "NOT RUNNING", ""), "running") {
			failStep(t, s, "phase %s's services are not all NOT RUNNING", p)
		}
	}
	if !strings.Contains(r.out, "\nnext: okdctl apply -f examples/sandbox.yaml --root .demo --sandbox ") {
		failStep(t, s, "does not suggest the apply that starts the services again")
	}
}

// statusRows maps each phase of `okdctl status` to its status and the
// rest of its row (the services' health).
func statusRows(out string) map[string][2]string {
	rows := map[string][2]string{}
	in := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "PHASE" && f[1] == "STATUS":
			in = true
		case in && len(f) == 0:
			in = false
		case in && len(f) >= 2:
			rows[f[0]] = [2]string{f[1], strings.Join(f[2:], " ")}
		}
	}
	return rows
}
