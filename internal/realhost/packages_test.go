package realhost

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeInstallLine keeps the bare bastion honest: its packages
// beyond System are exactly the apt-get line README.md's "Running on a
// real bastion" gives a Debian user, so TestRealBastion passing on it
// proves okdctl needs nothing more.
func TestReadmeInstallLine(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Running on a real bastion\n")
	if !ok {
		t.Fatal(`README.md has no "## Running on a real bastion" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	m := regexp.MustCompile("`apt-get install ([^`]+)`").FindStringSubmatch(section)
	if m == nil {
		t.Fatal("README.md's real-bastion section has no `apt-get install ...` line")
	}
	if got := strings.Fields(m[1]); !slices.Equal(got, Readme) {
		t.Errorf("README.md tells a Debian user to install %q; the bare bastion has %q: make them equal", got, Readme)
	}
	if !slices.Equal(Packages, append(append([]string{}, System...), Readme...)) {
		t.Errorf("Packages %q are not System plus Readme", Packages)
	}
}
