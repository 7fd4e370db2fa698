package app

import "testing"

// TestSuggestionsCarryTheRunsFlags: a command okdctl suggests in an error
// or a log line gets the run's -f, --root and (where it matters)
// --sandbox; one that names its spec already is left alone.
func TestSuggestionsCarryTheRunsFlags(t *testing.T) {
	t.Parallel()
	f := &specFlags{file: "examples/sandbox.yaml", root: ".demo dir", sandbox: true}
	for in, want := range map[string]string{
		"is okdctl-etcd running? okdctl apply --only dns starts it":  "is okdctl-etcd running? okdctl apply -f examples/sandbox.yaml --root '.demo dir' --sandbox --only dns starts it",
		"run `okdctl apply --force manifests` to make new ignition":  "run `okdctl apply -f examples/sandbox.yaml --root '.demo dir' --sandbox --force manifests` to make new ignition",
		"kept the CA (okdctl down --purge deletes them)":             "kept the CA (okdctl down -f examples/sandbox.yaml --root '.demo dir' --purge deletes them)",
		"approve them: okdctl approve-csrs -f c.yaml --kubeconfig k": "approve them: okdctl approve-csrs -f c.yaml --kubeconfig k",
		"okdctl stops nothing itself":                                "okdctl stops nothing itself",
	} {
		if got := f.withFlags(in); got != want {
			t.Errorf("withFlags(%q)\n got %q\nwant %q", in, got, want)
		}
	}
	if got := (&specFlags{}).withFlags("okdctl apply --only dns"); got != "okdctl apply --only dns" {
		t.Errorf("no flags: %q", got)
	}
}
