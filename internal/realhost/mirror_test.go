package realhost

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestMirror(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files map[string]string
		want  string // a URI, or an anchored regex of the error
	}{
		{"deb822", map[string]string{"etc/apt/sources.list.d/debian.sources": "Types: deb\n# a comment\nURIs: http://mirror.test/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n" +
			"Types: deb\nURIs: http://mirror.test/debian-security\nSuites: bookworm-security\n"}, "http://mirror.test/debian"},
		{"deb822 disabled and deb-src skipped", map[string]string{"etc/apt/sources.list.d/a.sources": "Enabled: no\nTypes: deb\nURIs: http://off.test/debian\nSuites: bookworm\n\n" +
			"Types: deb-src\nURIs: http://src.test/debian\nSuites: bookworm\n\nTypes: deb deb-src\nURIs: http://on.test/debian\nSuites: bookworm\n"}, "http://on.test/debian"},
		{"one-line with options", map[string]string{"etc/apt/sources.list": "# deb http://commented.test/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://line.test/debian bookworm main\n"}, "http://line.test/debian"},
		{"security only", map[string]string{"etc/apt/sources.list": "deb http://sec.test/debian-security bookworm-security main\n"}, `^no deb source for bookworm .*configure apt`},
		{"nothing", map[string]string{}, `^no deb source for bookworm`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for name, content := range tc.files {
				os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755)
				os.WriteFile(filepath.Join(root, name), []byte(content), 0o644)
			}
			got, err := mirrorIn(root)
			if err != nil {
				if !regexp.MustCompile(tc.want).MatchString(err.Error()) {
					t.Fatalf("error %q does not match %s", err, tc.want)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("mirror %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMirrorOfThisMachine reads the apt sources debootstrap will use here.
func TestMirrorOfThisMachine(t *testing.T) {
	t.Parallel()
	m, err := Mirror()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^(https?|file)://`).MatchString(m) {
		t.Fatalf("mirror %q is not a URI", m)
	}
}
