package app

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// visible walks the commands a user sees.
func visible(cmd *cobra.Command, fn func(*cobra.Command)) {
	if cmd.Hidden || cmd.Name() == "help" || cmd.Name() == "completion" {
		return
	}
	fn(cmd)
	for _, sub := range cmd.Commands() {
		visible(sub, fn)
	}
}

// TestEveryCommandHasExamples: every command's --help has an Examples
// section, and every example belongs to a command that exists.
func TestEveryCommandHasExamples(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	visible(newRoot(&bytes.Buffer{}, &bytes.Buffer{}), func(c *cobra.Command) {
		seen[c.CommandPath()] = true
		var out bytes.Buffer
		c.SetOut(&out)
		if err := c.Help(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "\nExamples:\n  okdctl ") && !strings.Contains(out.String(), "\nExamples:\n  LIVE_ISO") {
			t.Errorf("%s --help has no Examples section:\n%s", c.CommandPath(), out.String())
		}
	})
	for path := range commandExamples {
		if !seen[path] {
			t.Errorf("examples for %q, which is not a command", path)
		}
	}
}

// TestFlagsOnlyWhereTheyApply: a flag a command would ignore is not
// offered (and so refused); --log-format is everywhere.
func TestFlagsOnlyWhereTheyApply(t *testing.T) {
	t.Parallel()
	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
	has := func(path, flag string) bool {
		c, _, err := root.Find(strings.Fields(path))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return c.Flags().Lookup(flag) != nil
	}
	for _, tc := range []struct {
		path, flag string
		want       bool
	}{
		{"down", "kubeconfig", false}, {"down", "sandbox", false}, {"status", "sandbox", false}, {"status", "kubeconfig", false},
		{"plan", "kubeconfig", false}, {"validate", "root", false}, {"certs", "offline", false}, {"verify", "offline", false},
		{"apply", "kubeconfig", true}, {"apply", "sandbox", true}, {"apply", "offline", true}, {"plan", "offline", true},
		{"plan", "sandbox", true}, {"approve-csrs", "kubeconfig", true}, {"etcd restore", "kubeconfig", true}, {"status", "root", true}, {"boot", "root", true},
	} {
		if got := has(tc.path, tc.flag); got != tc.want {
			t.Errorf("okdctl %s --%s offered: %v, want %v", tc.path, tc.flag, got, tc.want)
		}
	}
	visible(root, func(c *cobra.Command) {
		if c.Flags().Lookup("log-format") == nil {
			t.Errorf("%s has no --log-format", c.CommandPath())
		}
	})
	if _, errOut, code := run(t, "status", "-f", "x.yaml", "--sandbox"); code != 1 || !strings.Contains(errOut, "unknown flag: --sandbox") {
		t.Errorf("status --sandbox: exit %d %q", code, errOut)
	}
}

// runIn runs okdctl with a standard input.
func runIn(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(&out, &errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	if cmd, err := root.ExecuteContextC(context.Background()); err != nil {
		if logFormat(cmd) == "json" {
			printJSONError(&errOut, err)
		} else {
			printError(&errOut, err)
		}
		return out.String(), errOut.String(), 1
	}
	return out.String(), errOut.String(), 0
}

// TestSpecFromStdin: -f - reads the spec from standard input, its paths
// relative to the current directory, and errors name it <stdin>.
func TestSpecFromStdin(t *testing.T) {
	dir := copyExamples(t)
	t.Chdir(dir)
	lab, _, _ := run(t, "init", "--example", "seed") // example key replaced: put it back
	lab = strings.Replace(lab, "sshKeyFile: ~/.ssh/", "sshKeyFile: files/example_ed25519.pub #", 1)
	if out, errOut, code := runIn(t, lab, "validate", "-f", "-"); code != 0 || !strings.Contains(out, "- is valid: cluster okd.example") {
		t.Fatalf("validate -f -: exit %d %s %s", code, out, errOut)
	}
	broken := strings.Replace(lab, "role: master", "role: boss", 1)
	if _, errOut, code := runIn(t, broken, "validate", "-f", "-"); code != 1 || !strings.HasPrefix(errOut, "ERROR: <stdin> has 2 problems:") {
		t.Errorf("a broken spec on stdin: exit %d %q", code, errOut)
	}
	if out, errOut, code := runIn(t, lab, "boot", "master", "-f", "-"); code != 0 || !strings.Contains(out, "master.okd.example") {
		t.Errorf("boot -f -: exit %d %s %s", code, out, errOut)
	}
}

// jsonLines decodes every line of s as a JSON object.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q (%v)", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// TestLogFormatJSON: --log-format json makes every command's output and
// errors JSON lines, validate, status, version and init included.
func TestLogFormatJSON(t *testing.T) {
	dir := copyExamples(t)
	t.Chdir(t.TempDir())
	spec := filepath.Join(dir, "seed.yaml")
	out, _, code := run(t, "validate", "-f", spec, "--log-format", "json")
	if ev := jsonLines(t, out); code != 0 || ev[0]["level"] != "info" || ev[0]["cluster"] != "okd.example" {
		t.Errorf("validate: exit %d %v", code, out)
	}
	_, errOut, code := run(t, "validate", "-f", filepath.Join(dir, "nope.yaml"), "--log-format", "json")
	if ev := jsonLines(t, errOut); code != 1 || ev[0]["level"] != "error" || !strings.Contains(ev[0]["msg"].(string), "nope.yaml") {
		t.Errorf("validate error: exit %d %q", code, errOut)
	}
	broken := strings.Replace(lab(t, spec), "role: master", "role: boss", 1)
	_, errOut, _ = runIn(t, broken, "validate", "-f", "-", "--log-format", "json")
	if ev := jsonLines(t, errOut); len(ev) != 1 || !strings.Contains(errOut, `spec.nodes[1].role: \"boss\" is not a role`) {
		t.Errorf("spec problems are not one JSON line with details: %q", errOut)
	}
	out, _, code = run(t, "status", "-f", spec, "--root", t.TempDir(), "--log-format", "json")
	if ev := jsonLines(t, out); code != 0 || len(ev) != 1 {
		t.Errorf("status: exit %d %q", code, out)
	}
	out, _, code = run(t, "version", "--log-format", "json")
	if ev := jsonLines(t, out); code != 0 || ev[0]["releases"] == nil {
		t.Errorf("version: exit %d %q", code, out)
	}
	out, _, code = run(t, "boot", "-f", spec, "--log-format", "json")
	if code != 0 || !strings.HasPrefix(out, "[") {
		t.Errorf("boot --log-format json does not print JSON: %q", out)
	}
	if _, errOut, code := run(t, "init", "--log-format", "xml"); code != 1 || !strings.Contains(errOut, `--log-format "xml" is not known`) {
		t.Errorf("an unknown format: exit %d %q", code, errOut)
	}
}

func lab(t *testing.T, spec string) string {
	t.Helper()
	out, _, code := run(t, "init", "--example", "seed")
	if code != 0 {
		t.Fatal("init failed")
	}
	return strings.Replace(out, "sshKeyFile: ~/.ssh/", "sshKeyFile: "+filepath.Join(filepath.Dir(spec), "files", "example_ed25519.pub")+" #", 1)
}
