package realhost

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Mirror is the Debian archive apt on this machine already uses for the
// main suite: the URI of the first deb source (deb822 .sources files or
// the one-line format) whose suites include Suite. It never guesses a host.
func Mirror() (string, error) { return mirrorIn("/") }

// mirrorIn is Mirror for the apt configuration under root.
func mirrorIn(root string) (string, error) {
	files, _ := filepath.Glob(filepath.Join(root, "etc/apt/sources.list.d/*.sources"))
	for _, f := range files {
		if uri := mirrorDeb822(f); uri != "" {
			return uri, nil
		}
	}
	lists, _ := filepath.Glob(filepath.Join(root, "etc/apt/sources.list.d/*.list"))
	for _, f := range append([]string{filepath.Join(root, "etc/apt/sources.list")}, lists...) {
		if uri := mirrorOneLine(f); uri != "" {
			return uri, nil
		}
	}
	return "", fmt.Errorf("no deb source for %s in /etc/apt/sources.list or /etc/apt/sources.list.d: configure apt for Debian %s first", Suite, Suite)
}

// mirrorDeb822 reads stanzas of "Key: value" lines separated by blank lines.
func mirrorDeb822(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, stanza := range strings.Split(string(data), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			if k, v, ok := strings.Cut(line, ":"); ok {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if fields["enabled"] == "no" || !hasWord(fields["types"], "deb") || !hasWord(fields["suites"], Suite) {
			continue
		}
		if uris := strings.Fields(fields["uris"]); len(uris) > 0 {
			return uris[0]
		}
	}
	return ""
}

// mirrorOneLine reads "deb [options] URI suite components" lines.
func mirrorOneLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		words := strings.Fields(sc.Text())
		if len(words) < 3 || words[0] != "deb" {
			continue
		}
		words = words[1:]
		if strings.HasPrefix(words[0], "[") {
			for len(words) > 0 && !strings.HasSuffix(words[0], "]") {
				words = words[1:]
			}
			if len(words) == 0 {
				continue
			}
			words = words[1:]
		}
		if len(words) >= 2 && words[1] == Suite {
			return words[0]
		}
	}
	return ""
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if w == word {
			return true
		}
	}
	return false
}
