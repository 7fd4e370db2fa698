package app

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/spec/release"
)

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print okdctl's version and commit, and the release matrix it knows",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if logFormat(cmd) == "json" {
				printVersionJSON(cmd.OutOrStdout(), buildInfo())
				return nil
			}
			printVersion(cmd.OutOrStdout(), buildInfo())
			return nil
		},
	}
}

// build is what okdctl knows of its own build.
type build struct {
	Version, Commit, Time string
	Modified              bool
}

// buildInfo reads the module version and the VCS settings `go build`
// stamps into the binary (none in `go run` or a test binary).
func buildInfo() build {
	b := build{Version: "(devel)", Commit: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if v := bi.Main.Version; v != "" {
		b.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// versionLine is the first line of `okdctl version` and `okdctl --version`.
func (b build) versionLine() string {
	line := fmt.Sprintf("okdctl %s, commit %s", b.Version, b.Commit)
	if b.Time != "" {
		line += " (" + b.Time + ")"
	}
	if b.Modified {
		line += ", with uncommitted changes"
	}
	return line
}

func printVersion(w io.Writer, b build) {
	fmt.Fprintln(w, b.versionLine())
	fmt.Fprintf(w, "\nReleases okdctl knows (OKD; OCP boots rhcos on every line; newer than %s installs with %s's rules, with a warning):\n", release.Newest, release.Newest)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RELEASE\tMIRROR FIELD\tCOREOS\tDEFAULT NETWORK\tSINGLE MASTER")
	for _, l := range release.Matrix() {
		fmt.Fprintln(tw, strings.Join([]string{l.Releases(), l.MirrorField, l.CoreOS, l.NetworkType, l.SingleMaster}, "\t"))
	}
	tw.Flush()
}

// printVersionJSON is `okdctl version --log-format json`: one event with
// the build and the matrix, a row per release line.
func printVersionJSON(w io.Writer, b build) {
	var rows []map[string]string
	for _, l := range release.Matrix() {
		rows = append(rows, map[string]string{"releases": l.Releases(), "mirrorField": l.MirrorField,
			"coreos": l.CoreOS, "networkType": l.NetworkType, "singleMaster": l.SingleMaster})
	}
	printJSONEvent(w, b.versionLine(), map[string]any{"version": b.Version, "commit": b.Commit,
		"newestKnown": release.Newest.String(), "releases": rows})
}
