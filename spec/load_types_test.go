package spec

import "testing"

// TestTypeErrorsNameTheKindOfValue pins the reworded yaml type errors: load.go
// recognises the spec's own Go types by their package prefix ("spec."), so
// moving or renaming the package must keep these messages.
func TestTypeErrorsNameTheKindOfValue(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, spec, want string }{
		{"struct", "spec:\n  bastion: here\n", `spec\.bastion: here is not a mapping of fields \(line 2\)`},
		{"struct in list", "spec:\n  nodes:\n  - m0\n", `spec\.nodes: m0 is not a mapping of fields \(line 3\)`},
		{"list", "spec:\n  nodes: m0\n", `spec\.nodes: m0 is not a list \(line 2\)`},
		{"whole number", "spec:\n  bastion:\n    ports:\n      api: high\n", `spec\.bastion\.ports\.api: high is not a whole number \(line 4\)`},
		{"bool", "spec:\n  fips: sometimes\n", `spec\.fips: sometimes is not true or false \(line 2\)`},
		{"string", "spec:\n  baseDomain: [a, b]\n", `spec\.baseDomain: cannot unmarshal seq into string \(line 2\)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadFile(writeRaw(t, t.TempDir(), tc.spec))
			assertSpecError(t, err, tc.want)
		})
	}
}
