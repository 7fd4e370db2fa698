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
}

func (f *specFlags) register(cmd *cobra.Command, withHost bool) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "the cluster spec (YAML)")
	if withHost {
		cmd.Flags().StringVar(&f.root, "root", "", "put every bastion file under DIR (DIR/etc/haproxy/..., DIR/var/lib/okdctl/...)")
		cmd.Flags().BoolVar(&f.sandbox, "sandbox", false, "run the bastion services as supervised processes on the spec's addresses (needs --root)")
		cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "the cluster's admin kubeconfig (default <installDir>/auth/kubeconfig)")
		cmd.Flags().StringVar(&f.logFormat, "log-format", "text", "text, or json for one JSON event per line")
		cmd.Flags().BoolVar(&f.offline, "offline", false, "contact no registry: the release image's own metadata is not read (its version is not checked)")
	}
}

// load reads, defaults and validates the spec.
func (f *specFlags) load() (*spec.Cluster, error) {
	if f.file == "" {
		return nil, errors.New("no spec given: pass -f cluster.yaml (okdctl init --example lab > cluster.yaml writes one)")
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
