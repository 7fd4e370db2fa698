package openshiftinstall

import (
	"os"
	"strings"
	"testing"
)

func TestRedactPullSecretKeepsTheRest(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/imageDigestSources.golden")
	if err != nil {
		t.Fatal(err)
	}
	got := string(RedactPullSecret(data))
	if strings.Contains(got, "YWRtaW46c2VjcmV0") {
		t.Fatalf("the pull secret's auth is still there:\n%s", got)
	}
	want := strings.Replace(string(data), `pullSecret: '{"auths":{"registry.okd.example:5000":{"auth":"YWRtaW46c2VjcmV0"}}}'`,
		`pullSecret: '<redacted: credentials for registry.okd.example:5000>'`, 1)
	if got != want {
		t.Errorf("redacted more or less than the pull secret:\n%s", got)
	}
	folded := "a: 1\npullSecret: >-\n  {\"auths\":{\"q\":{\"auth\":\"SECRET\"}}}\nsshKey: k\n"
	if got := string(RedactPullSecret([]byte(folded))); got != "a: 1\npullSecret: '<redacted: credentials for q>'\nsshKey: k\n" {
		t.Errorf("folded value: %q", got)
	}
}
