package corednsserve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	clog "github.com/coredns/coredns/plugin/pkg/log"

	// the plugins okdctl's Corefile (templates/Corefile.tmpl) uses; CoreDNS's
	// core/plugin would link every plugin and its cloud SDKs
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/etcd"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/template"
)

// Directives are the enabled plugins in execution order: plugin.cfg's
// order, restricted to the plugins imported above.
var Directives = []string{"bind", "errors", "log", "loadbalance", "cache", "template", "etcd", "forward"}

// Options is what `okdctl serve coredns` reads from its flags.
type Options struct {
	// Conf is the Corefile (the coredns program's -conf).
	Conf string
}

// ParseArgs reads the coredns program's -conf flag.
func ParseArgs(args []string, usage io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("okdctl serve coredns", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&o.Conf, "conf", "", "Corefile to load")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("failed to parse the coredns flags: %w", err)
	}
	if fs.NArg() != 0 {
		return o, fmt.Errorf("unexpected argument %q: okdctl serve coredns takes only -conf FILE", fs.Arg(0))
	}
	if o.Conf == "" {
		return o, errors.New("-conf is required: the Corefile to serve")
	}
	return o, nil
}

// setup makes the process-wide choices once: CoreDNS's directive list
// and its server type are global to the process.
var setup = sync.OnceValue(func() error {
	caddy.Quiet = true
	caddy.AppName, caddy.AppVersion = "CoreDNS", "1.15.0 (okdctl)"
	if err := dnsserver.SetDirectives(Directives); err != nil {
		return err
	}
	return dnsserver.Register()
})

// Run serves the Corefile until ctx is done, then runs the plugins'
// shutdown callbacks and closes the listeners. SIGUSR1 re-reads the
// Corefile and swaps the servers in place; a Corefile that does not
// start leaves the running one serving. Logs go to out.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if err := setup(); err != nil {
		return fmt.Errorf("failed to set up CoreDNS: %w", err)
	}
	clog.SetOutput(out)
	// the reload signal is caught before the servers start, so an early
	// one cannot kill the process
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	input, err := load(o.Conf)
	if err != nil {
		return err
	}
	inst, err := caddy.Start(input)
	if err != nil {
		return fmt.Errorf("failed to start CoreDNS with %s: %w", o.Conf, err)
	}
	for {
		select {
		case <-ctx.Done():
			return stop(inst)
		case <-usr1:
			inst = reload(inst, o.Conf)
		}
	}
}

func load(conf string) (caddy.Input, error) {
	data, err := os.ReadFile(conf)
	if err != nil {
		return nil, fmt.Errorf("failed to read the Corefile: %w", err)
	}
	abs, err := filepath.Abs(conf)
	if err != nil {
		abs = conf
	}
	return caddy.CaddyfileInput{Filepath: abs, Contents: data, ServerTypeName: "dns"}, nil
}

// reload is the coredns program's SIGUSR1: the new instance replaces the
// old one only when it started.
func reload(inst *caddy.Instance, conf string) *caddy.Instance {
	clog.Infof("SIGUSR1: reloading %s", conf)
	input, err := load(conf)
	if err != nil {
		clog.Errorf("SIGUSR1: %v; still serving the previous Corefile", err)
		return inst
	}
	next, err := inst.Restart(input)
	if err != nil {
		clog.Errorf("SIGUSR1: %v; still serving the previous Corefile", err)
		return inst
	}
	return next
}

func stop(inst *caddy.Instance) error {
	errs := inst.ShutdownCallbacks()
	errs = append(errs, inst.Stop())
	inst.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("failed to stop CoreDNS cleanly: %w", err)
	}
	return nil
}
