package app

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/day2"
)

// dayTwo loads the spec and builds the RunContext of a day-2 command.
func (f *specFlags) dayTwo(cmd *cobra.Command, phase string) (*installer.RunContext, error) {
	c, err := f.load()
	if err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	root, err := f.rootDir()
	if err != nil {
		return nil, err
	}
	host := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: f.sandbox})
	log := installer.NewLogger(installer.LoggerOptions{Out: cmd.OutOrStdout(), JSON: f.logFormat == "json", Rewrite: f.withFlags})
	return installer.NewRunContext(c, host, log, installer.RunContextOptions{Phase: phase, Kubeconfig: f.kubeconfig})
}

// terminalConfirm asks on the terminal, or is nil when stdin is not one
// (a script must pass --yes).
func terminalConfirm(cmd *cobra.Command) day2.Confirm {
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return nil
	}
	return func(summary string) (bool, error) {
		return askYes(in, cmd.ErrOrStderr(), summary)
	}
}

func askYes(in io.Reader, out io.Writer, summary string) (bool, error) {
	fmt.Fprintf(out, "%s\nType yes to go on: ", summary)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return false, err
	}
	return strings.TrimSpace(line) == "yes", nil
}

// sshFlags are the flags of commands that log in to the masters.
type sshFlags struct {
	o      day2.SSHOptions
	master string
}

func (s *sshFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.o.KeyFile, "ssh-key", "", "the private key whose public half is spec.sshKeyFile (default: that file without .pub, else ~/.ssh/id_ed25519, id_ecdsa or id_rsa; ssh-agent is used too)")
	cmd.Flags().StringVar(&s.o.User, "ssh-user", "core", "the masters' login user")
	cmd.Flags().IntVar(&s.o.Port, "ssh-port", 22, "the masters' SSH port")
	cmd.Flags().StringVar(&s.o.KnownHosts, "known-hosts", "", "host keys, trusted on first use (default <state>/ssh_known_hosts)")
	cmd.Flags().StringVar(&s.master, "master", "", "the master to use, by spec name (backup: the first that answers; restore: the recovery master, default the first)")
}
