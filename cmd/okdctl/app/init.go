package app

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/examples"
	"github.com/okdctl/okdctl/spec"
)

var (
	// exampleKeyLine is the examples' shipped public key; init points the
	// printed spec at the user's own key instead.
	exampleKeyLine = regexp.MustCompile(`(?m)^(\s*sshKeyFile:) files/example_ed25519\.pub.*$`)
	// sideFileRE finds the files an example names beside it (files/...).
	sideFileRE = regexp.MustCompile(`\bfiles/[A-Za-z0-9._-]+`)
)

// doubleName is okdctl's openshift-install test double, which the sandbox
// example runs (make build puts it in bin/ beside okdctl).
const doubleName = "openshift-install-double"

func newInit() *cobra.Command {
	var example, output string
	cmd := &cobra.Command{
		Use:   "init [--example NAME] [-o cluster.yaml]",
		Short: "Print a commented starter cluster spec",
		Long: "Print a commented starter cluster spec, pointed at your SSH key (~/.ssh/id_ed25519.pub, else\n" +
			"id_ecdsa.pub, else id_rsa.pub). The files an example names beside it (files/...) are written\n" +
			"next to the spec (-o) or into the current directory, so that it validates as written; files\n" +
			"that exist are kept. The examples are: " + strings.Join(examples.Names, ", ") + ".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInit(cmd, example, output)
		},
	}
	cmd.Flags().StringVar(&example, "example", "lab", "the example: "+strings.Join(examples.Names, ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the spec to this file (refused if it exists) instead of standard output")
	return cmd
}

func runInit(cmd *cobra.Command, example, output string) error {
	if !slices.Contains(examples.Names, example) {
		return fmt.Errorf("unknown example %q: choose one of %s", example, strings.Join(examples.Names, ", "))
	}
	data, err := examples.FS.ReadFile(example + ".yaml")
	if err != nil {
		return fmt.Errorf("failed to read example: %w", err)
	}
	key, found := spec.UserSSHKey()
	text := exampleKeyLine.ReplaceAllString(string(data), "$1 "+key+"   # your public SSH key")
	var notes []string
	if !found {
		notes = append(notes, fmt.Sprintf("no SSH public key in ~/.ssh (id_ed25519.pub, id_ecdsa.pub or id_rsa.pub): make one with `ssh-keygen -t ed25519` (the spec names %s), or point sshKeyFile at yours", key))
	}
	if example == "sandbox" {
		var note string
		text, note = adaptSandbox(text)
		notes = append(notes, note)
	}
	dir := "."
	if output != "" {
		dir = filepath.Dir(output)
	}
	written, err := writeSideFiles(dir, text)
	if err != nil {
		return err
	}
	if len(written) > 0 {
		notes = append(notes, "wrote the files the spec names beside it: "+strings.Join(written, ", "))
	}
	if err := writeSpecOut(cmd.OutOrStdout(), output, text); err != nil {
		return err
	}
	for _, n := range notes {
		switch {
		case n == "":
		case logFormat(cmd) == "json":
			printJSONEvent(cmd.ErrOrStderr(), n, nil)
		default:
			fmt.Fprintf(cmd.ErrOrStderr(), "NOTE: %s\n", n)
		}
	}
	return nil
}

func writeSpecOut(stdout io.Writer, output, text string) error {
	if output == "" {
		_, err := io.WriteString(stdout, text)
		return err
	}
	f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: okdctl init never overwrites a spec; remove it or choose another -o", output)
	}
	if err != nil {
		return fmt.Errorf("failed to write the spec: %w", err)
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return fmt.Errorf("failed to write the spec: %w", err)
	}
	return f.Close()
}

// writeSideFiles writes the example files the spec names (files/...) under
// dir, keeping any that exist (they may be the user's own), secrets 0600.
func writeSideFiles(dir, text string) ([]string, error) {
	var written []string
	for _, rel := range uniq(sideFileRE.FindAllString(text, -1)) {
		data, err := examples.FS.ReadFile(rel)
		if err != nil {
			continue // a name in a comment, not a shipped file
		}
		dst := filepath.Join(dir, rel)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(rel, ".key") || strings.HasSuffix(rel, "-auth.json") {
			mode = 0o600 // secrets: the spec refuses them readable by others
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", dst, err)
		}
		if err := os.WriteFile(dst, data, mode); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", dst, err)
		}
		written = append(written, rel)
	}
	return written, nil
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// adaptSandbox points the sandbox example, written for examples/ of the
// repository, at a directory of its own: its install directory beside
// the spec and openshift-install at the test double where one is found
// (on PATH or beside okdctl).
func adaptSandbox(text string) (string, string) {
	text = strings.ReplaceAll(text, "../.demo/", ".demo/")
	double := findDouble()
	if double == "" {
		return text, "the sandbox runs okdctl's openshift-install test double, which `make build` in okdctl's repository puts in bin/" +
			doubleName + ": point openshiftInstall at it (validate says so until it exists)"
	}
	return strings.ReplaceAll(text, "../bin/"+doubleName, double), ""
}

func findDouble() string {
	if p, err := exec.LookPath(doubleName); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), doubleName)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}
