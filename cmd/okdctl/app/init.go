package app

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/examples"
)

// exampleKeyLine is the examples' shipped public key; init points the
// printed spec at the user's own key instead.
var exampleKeyLine = regexp.MustCompile(`(?m)^(\s*sshKeyFile:) files/example_ed25519\.pub.*$`)

func newInit() *cobra.Command {
	var example string
	cmd := &cobra.Command{
		Use:   "init --example NAME",
		Short: "Print a commented starter cluster spec",
		Long: "Print a commented starter cluster spec. The examples are: " + strings.Join(examples.Names, ", ") + ".\n" +
			"  okdctl init --example lab > cluster.yaml",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(examples.Names, example) {
				return fmt.Errorf("unknown example %q: choose one of %s", example, strings.Join(examples.Names, ", "))
			}
			data, err := examples.FS.ReadFile(example + ".yaml")
			if err != nil {
				return fmt.Errorf("failed to read example: %w", err)
			}
			out := exampleKeyLine.ReplaceAllString(string(data), "$1 ~/.ssh/id_rsa.pub   # your public SSH key")
			_, err = fmt.Fprint(cmd.OutOrStdout(), out)
			return err
		},
	}
	cmd.Flags().StringVar(&example, "example", "lab", "the example: "+strings.Join(examples.Names, ", "))
	return cmd
}
