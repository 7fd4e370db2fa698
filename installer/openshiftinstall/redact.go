package openshiftinstall

import (
	"encoding/json"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// RedactPullSecret returns install-config.yaml with the pull secret
// replaced by the names of the registries it holds credentials for, which
// is what a plan shows; everything else stays as written.
func RedactPullSecret(data []byte) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "pullSecret:") {
			out.WriteString(lines[i])
			continue
		}
		value := lines[i]
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ") { // a folded value
			i++
			value += lines[i]
		}
		out.WriteString("pullSecret: '<redacted: credentials for " + pullSecretRegistries(value) + ">'\n")
	}
	return []byte(out.String())
}

// pullSecretRegistries lists the registries of a pullSecret: line.
func pullSecretRegistries(line string) string {
	var doc struct {
		PullSecret string `yaml:"pullSecret"`
	}
	var ps struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if yaml.Unmarshal([]byte(line), &doc) != nil || json.Unmarshal([]byte(doc.PullSecret), &ps) != nil || len(ps.Auths) == 0 {
		return "unknown registries"
	}
	var names []string
	for n := range ps.Auths {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
