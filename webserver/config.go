package webserver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"text/template"

	"github.com/okdctl/okdctl/templates"
)

// Input is everything nginx.conf is rendered from. Every path nginx writes
// is given, so that the sandbox runs it unprivileged under --root.
type Input struct {
	BindIP string
	Port   int
	// WebRoot holds ignition/ and install/ and nothing else.
	WebRoot string
	// PidFile, AccessLog and TempDir are where nginx writes.
	PidFile   string
	AccessLog string
	TempDir   string
	// User and Group run the workers when nginx starts as root; they must
	// be able to read the web root. Empty: no user directive (unprivileged).
	User  string
	Group string
}

// The trees the web root publishes.
const (
	IgnitionDir = "ignition"
	InstallDir  = "install"
)

var confTmpl = template.Must(template.New("nginx.conf.tmpl").ParseFS(templates.FS, "nginx.conf.tmpl"))

var safeWord = regexp.MustCompile(`^[A-Za-z0-9_.@/+-]+$`)

// Validate reports every problem of the input at once.
func (in Input) Validate() error {
	var errs []error
	if _, err := netip.ParseAddr(in.BindIP); err != nil {
		errs = append(errs, fmt.Errorf("bind address %q is not an IP address", in.BindIP))
	}
	if in.Port < 1 || in.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d is not between 1 and 65535", in.Port))
	}
	for _, p := range []struct{ name, v string }{{"web root", in.WebRoot}, {"pid file", in.PidFile},
		{"access log", in.AccessLog}, {"temp directory", in.TempDir}} {
		if !filepath.IsAbs(p.v) || !safeWord.MatchString(p.v) {
			errs = append(errs, fmt.Errorf("%s %q must be an absolute path without spaces or quotes", p.name, p.v))
		}
	}
	if in.User != "" && (!safeWord.MatchString(in.User) || !safeWord.MatchString(in.Group)) {
		errs = append(errs, fmt.Errorf("user %q and group %q must both be set and plain names", in.User, in.Group))
	}
	return errors.Join(errs...)
}

// Render renders nginx.conf (pure: the same input gives the same bytes).
func Render(in Input) ([]byte, error) {
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("failed to render nginx.conf: %w", err)
	}
	data := struct {
		Input
		Listen string
	}{in, net.JoinHostPort(in.BindIP, strconv.Itoa(in.Port))}
	var b bytes.Buffer
	if err := confTmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("failed to render nginx.conf: %w", err)
	}
	return b.Bytes(), nil
}

// BaseURL is where the nodes fetch from: http://<ip>:<port>.
func (in Input) BaseURL() string {
	return "http://" + net.JoinHostPort(in.BindIP, strconv.Itoa(in.Port))
}

// writeDirs are the directories nginx needs to exist before it starts.
func (in Input) writeDirs() []string {
	return []string{filepath.Dir(in.PidFile), filepath.Dir(in.AccessLog), in.TempDir,
		filepath.Join(in.WebRoot, IgnitionDir), filepath.Join(in.WebRoot, InstallDir)}
}

// scratch moves every path nginx writes under dir, to check a candidate
// in a dry run without creating anything on the bastion. `nginx -t` also
// binds the listener, so that moves to a spare loopback port: a plan made
// away from the bastion cannot bind the bastion's address.
func (in Input) scratch(dir string) Input {
	in.BindIP, in.Port = "127.0.0.1", sparePort()
	in.PidFile = filepath.Join(dir, "nginx.pid")
	in.AccessLog = filepath.Join(dir, "access.log")
	in.TempDir = filepath.Join(dir, "tmp")
	return in
}

// sparePort is a TCP port free on 127.0.0.1 right now (0 when none).
func sparePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
