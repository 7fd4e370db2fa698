package openshiftinstall

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/internal/golden"
	"gopkg.in/yaml.v3"
)

// assertGolden compares got with testdata/<name>.golden.
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", name+".golden"), got)
}

const testCA = "-----BEGIN CERTIFICATE-----\nMIIBfjCCASSgAwIBAgIBATAKBggqhkjOPQQDAjAjMSEwHwYDVQQDExhva2RjdGwg\n-----END CERTIFICATE-----\n"

func input() Input {
	return Input{
		ClusterName: "okd", BaseDomain: "example", Masters: 3, ComputeReplicas: 2,
		MachineCIDR:    "192.168.120.0/24",
		ClusterNetwork: []ClusterNetworkEntry{{CIDR: "10.128.0.0/14", HostPrefix: 23}},
		ServiceNetwork: []string{"172.30.0.0/16"}, NetworkType: "OVNKubernetes",
		PullSecret: "{\n  \"auths\": {\"registry.okd.example:5000\": {\"auth\": \"YWRtaW46c2VjcmV0\"}}\n}\n",
		SSHKey:     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkdctlTestKeyOnlyForGoldenFiles okdctl@test\n",
	}
}

func TestRenderMirrorFieldByRelease(t *testing.T) {
	t.Parallel()
	mirrors := []MirrorSource{
		{Source: "quay.io/openshift/okd", Mirrors: []string{"registry.okd.example:5000/openshift/okd"}},
		{Source: "quay.io/openshift/okd-content", Mirrors: []string{"registry.okd.example:5000/openshift/okd"}},
	}
	for _, field := range []string{FieldImageContentSources, FieldImageDigestSources} {
		in := input()
		in.Mirrors, in.MirrorField, in.TrustBundle, in.FIPS = mirrors, field, testCA, true
		out, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		assertGolden(t, field, out)
		var back map[string]any
		if err := yaml.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		_, icsp := back[FieldImageContentSources]
		_, idms := back[FieldImageDigestSources]
		if icsp == idms {
			t.Errorf("%s: imageContentSources %v, imageDigestSources %v: want exactly one", field, icsp, idms)
		}
	}
}

func TestRenderNoMirrors(t *testing.T) {
	t.Parallel()
	in := input()
	in.PullSecret = PlaceholderPullSecret
	out, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"imageContentSources", "imageDigestSources", "additionalTrustBundle"} {
		if strings.Contains(string(out), absent) {
			t.Errorf("install-config without mirrors has %s:\n%s", absent, out)
		}
	}
	if !strings.Contains(string(out), `pullSecret: '{"auths":{"fake":{"auth":"aWQ6cGFzcwo="}}}'`) {
		t.Errorf("placeholder pull secret not written as is:\n%s", out)
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	in := input()
	in.PullSecret = "sekrit-not-json"
	in.Masters = 0
	_, err := Render(in)
	if err == nil || !strings.Contains(err.Error(), "pull secret is not JSON") || !strings.Contains(err.Error(), "at least one master") {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(err.Error(), "sekrit") {
		t.Errorf("the pull secret leaks into the error: %v", err)
	}
}

func TestReadMirrors(t *testing.T) {
	t.Parallel()
	want := `[{quay.io/a [m/a]} {quay.io/b [m/b]}]`
	for _, doc := range []string{
		`[{"source":"quay.io/b","mirrors":["m/b"]},{"source":"quay.io/a","mirrors":["m/a"]}]`,
		`{"sources":[{"source":"quay.io/b","mirrors":["m/b"]},{"source":"quay.io/a","mirrors":["m/a"]}]}`,
		`{"imageDigestSources":[{"source":"quay.io/a","mirrors":["m/a"]},{"source":"quay.io/b","mirrors":["m/b"]}]}`,
		`{"imageContentSources":[{"source":"quay.io/a","mirrors":["m/a"]},{"source":"quay.io/b","mirrors":["m/b"]}]}`,
	} {
		got, err := ReadMirrors([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if s := strings.TrimSpace(fmtList(got)); s != want {
			t.Errorf("%s: got %s", doc, s)
		}
	}
	if _, err := ReadMirrors([]byte(`[{"source":"x"}]`)); err == nil {
		t.Error("a source without mirrors is accepted")
	}
}

func fmtList(l []MirrorSource) string {
	var parts []string
	for _, m := range l {
		parts = append(parts, "{"+m.Source+" ["+strings.Join(m.Mirrors, " ")+"]}")
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestIsOKD(t *testing.T) {
	t.Parallel()
	for img, want := range map[string]bool{
		"quay.io/openshift/okd:4.5.0-0.okd-2020-07-14-153706-ga":       true,
		"quay.io/okd/scos-release:4.16.0-0.okd-scos-2024-09-24-151747": true,
		"quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64":      false,
	} {
		if IsOKD(img) != want {
			t.Errorf("IsOKD(%s) != %v", img, want)
		}
	}
}
