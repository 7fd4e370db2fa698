package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
)

// specFlags are the flags every command that reads a spec shares.
type specFlags struct {
	file       string
	root       string
	sandbox    bool
	kubeconfig string
	logFormat  string
	offline    bool
	stdin      func() io.Reader
}

// hostFlags are the shared flags a command takes besides -f and
// --log-format: each only where it means something.
type hostFlags int

const (
	withRoot       hostFlags = 1 << iota // --root: where the bastion's files and state are
	withSandbox                          // --sandbox: services as supervised processes
	withKubeconfig                       // --kubeconfig: the command talks to the cluster
	withOffline                          // --offline: the command would read the release image
)

func (f *specFlags) register(cmd *cobra.Command, with hostFlags) {
	f.stdin = cmd.InOrStdin
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "the cluster spec (YAML); - reads it from standard input")
	cmd.Flags().StringVar(&f.logFormat, "log-format", "text", "text, or json for one JSON event per line (errors too)")
	if with&withRoot != 0 {
		cmd.Flags().StringVar(&f.root, "root", "", "put every bastion file under DIR (DIR/etc/haproxy/..., DIR/var/lib/okdctl/...)")
	}
	if with&withSandbox != 0 {
		cmd.Flags().BoolVar(&f.sandbox, "sandbox", false, "run the bastion services as supervised processes on the spec's addresses (needs --root)")
	}
	if with&withKubeconfig != 0 {
		cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "the cluster's admin kubeconfig (default <installDir>/auth/kubeconfig)")
	}
	if with&withOffline != 0 {
		cmd.Flags().BoolVar(&f.offline, "offline", false, "contact no registry: the release image's own metadata is not read (its version is not checked)")
	}
}

// load reads, defaults and validates the spec: -f FILE, or -f - from
// standard input (its relative paths then resolve against the current
// directory).
func (f *specFlags) load() (*spec.Cluster, error) {
	switch f.file {
	case "":
		return nil, errors.New("no spec given: pass -f cluster.yaml (okdctl init --example lab > cluster.yaml writes one)")
	case "-":
		return loadStdin(f.stdin())
	}
	return spec.LoadFile(f.file)
}

func (f *specFlags) check() error {
	if f.sandbox && f.root == "" {
		return errors.New("--sandbox needs --root DIR: the sandbox keeps its files, pids and logs there")
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		return fmt.Errorf("--log-format %q is not known: use text or json", f.logFormat)
	}
	return nil
}

func (f *specFlags) rootDir() (string, error) {
	if f.root == "" {
		return "", nil
	}
	return filepath.Abs(f.root)
}

// runner builds the host and runner of one command.
func (f *specFlags) runner(c *spec.Cluster, out io.Writer, dryRun bool) (*installer.Runner, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	root, err := f.rootDir()
	if err != nil {
		return nil, err
	}
	host := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: f.sandbox, DryRun: dryRun})
	log := installer.NewLogger(installer.LoggerOptions{Out: out, JSON: f.logFormat == "json", TTY: isTerminal(out), Rewrite: f.withFlags})
	r := &installer.Runner{Cluster: c, Host: host, Log: log, Kubeconfig: f.kubeconfig}
	if !f.offline {
		r.ReadRelease = installer.NewReleaseReader(c, f.sandbox)
	}
	return r, nil
}

// isTerminal reports whether w is a character device (a terminal), where
// okdctl may draw a spinner.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
