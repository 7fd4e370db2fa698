package installer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/verify"
	"github.com/okdctl/okdctl/webserver"
)

// HTTPPhase is the http phase: nginx serving ignition and the CoreOS media.
type HTTPPhase struct{}

var (
	_ Checker       = (*HTTPPhase)(nil)
	_ InputProvider = (*HTTPPhase)(nil)
)

// Name implements Phase.
func (*HTTPPhase) Name() string { return PhaseHTTP }

// NginxConfigPath is the live configuration of okdctl-nginx (not included
// by the distribution's nginx.conf).
func NginxConfigPath(rc *RunContext) string { return rc.Path("/etc/nginx/okdctl.conf") }

// nginxInput translates the spec: spec.bastion.ip and ports.ignition, the
// web root, and every path nginx writes under --root.
func nginxInput(rc *RunContext) webserver.Input {
	s := rc.Spec()
	in := webserver.Input{BindIP: s.Bastion.IP, Port: s.Bastion.Ports.Ignition, WebRoot: rc.WebRoot(),
		PidFile: rc.Path("/run/okdctl-nginx/nginx.pid"), AccessLog: rc.Path("/var/log/okdctl-nginx/access.log"),
		TempDir: rc.Path("/var/cache/okdctl-nginx")}
	if rc.Sandbox() {
		in.User, in.Group = sandboxNginxUser()
	}
	return in
}

// NginxUser runs okdctl-nginx on a real bastion: systemd starts it so, and
// its workers stay that user (the config has no user directive).
const NginxUser = "nginx"

// sandboxNginxUser is who nginx's workers run as when a sandbox run as
// root starts it: root itself (its --root directories may be private).
func sandboxNginxUser() (string, string) {
	if os.Geteuid() != 0 {
		return "", ""
	}
	u, err := user.Current()
	if err != nil {
		return "", ""
	}
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		return u.Username, g.Name
	}
	return "", ""
}

// coreosMedia are the media the spec names: the image (checked against
// spec.coreos.imageSHA256 when given), and the live kernel, initramfs and
// rootfs when given.
func coreosMedia(s *spec.ClusterSpec) []webserver.Media {
	out := []webserver.Media{{Source: s.CoreOS.Image, SHA256: s.CoreOS.ImageSHA256}}
	for _, src := range []string{s.CoreOS.Kernel, s.CoreOS.Initramfs, s.CoreOS.Rootfs} {
		if src != "" {
			out = append(out, webserver.Media{Source: src})
		}
	}
	return out
}

// Inputs implements InputProvider.
func (*HTTPPhase) Inputs(rc *RunContext) (any, error) {
	bin, _ := bastion.LookPath("nginx")
	return map[string]any{"nginx": nginxInput(rc), "media": coreosMedia(rc.Spec()), "binary": bin, "sandbox": rc.Sandbox()}, nil
}

// Done implements Checker: the live nginx.conf is the wanted one,
// okdctl-nginx runs, the media are in place and everything published is
// served byte for byte while listings and other paths are refused.
func (p *HTTPPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	if !rc.BastionReachable() {
		return false, nil
	}
	in := nginxInput(rc)
	want, err := webserver.Render(in)
	if err != nil {
		return false, err
	}
	if live, err := rc.Host().Files.ReadFile(NginxConfigPath(rc)); err != nil || string(live) != string(want) {
		return false, nil
	}
	if up, _ := rc.Host().Services.Running(ctx, webserver.ServiceName); !up {
		return false, nil
	}
	placer := &webserver.Placer{Dir: rc.InstallWebDir()}
	for _, m := range coreosMedia(rc.Spec()) {
		if !placer.InPlace(m) {
			return false, nil
		}
	}
	return verifyPublished(ctx, rc, in) == nil, nil
}

// Run implements Phase: host access, nginx, the media, then every URL.
func (p *HTTPPhase) Run(ctx context.Context, rc *RunContext) error {
	in := nginxInput(rc)
	port := []int{in.Port}
	if err := ensureHostAccess(ctx, rc, hostAccess{What: "nginx", Ports: port, HTTPPorts: port}); err != nil {
		return err
	}
	if err := ensureNginx(ctx, rc, in); err != nil {
		return err
	}
	if err := placeMedia(ctx, rc); err != nil {
		return err
	}
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("verify that %s serves every published file byte for byte (sha512) and refuses listings and other paths", in.BaseURL()))
		return nil
	}
	return waitPublished(ctx, rc, in)
}

func ensureNginx(ctx context.Context, rc *RunContext, in webserver.Input) error {
	bin, err := bastion.LookPath("nginx")
	if err != nil {
		err = fmt.Errorf("failed to find nginx: %w (Debian: apt-get install nginx-light; Fedora/RHEL: dnf install nginx)", err)
		if !rc.DryRun() {
			return err
		}
		rc.Log().Warnf("%v", err)
		rc.Host().Note(fmt.Sprintf("write %s, check it with nginx -t and run %s", NginxConfigPath(rc), webserver.ServiceName))
		return nil
	}
	res, err := nginxDeployer(rc, bin, in).Apply(ctx, in)
	if err != nil {
		return err
	}
	if res.Action != bastion.Unchanged && !rc.DryRun() {
		rc.Changed()
		rc.Log().Infof("%s %s: %s serves %s", webserver.ServiceName, res.Action, in.BaseURL(), in.WebRoot)
	}
	return nil
}

// placeMedia publishes each CoreOS medium once. Hard links are used only
// where SELinux does not enforce (a link keeps its source's label).
func placeMedia(ctx context.Context, rc *RunContext) error {
	hardLink := rc.Sandbox() || (hostRunner{ctx: ctx, run: rc.Host().Runner}).query("getenforce") != "Enforcing"
	placer := &webserver.Placer{Dir: rc.InstallWebDir(), HardLink: hardLink, Log: rc.Log().Progressf}
	if err := pruneMedia(ctx, rc, placer); err != nil {
		return err
	}
	for _, m := range coreosMedia(rc.Spec()) {
		if placer.InPlace(m) {
			continue
		}
		how := "hard link or copy"
		if webserver.IsURL(m.Source) {
			how = "resumable download"
		}
		if m.SHA256 != "" {
			how += ", sha256 checked"
		}
		desc := fmt.Sprintf("publish %s as %s/%s (%s)", m.Source, rc.InstallWebDir(), webserver.MediaName(m.Source), how)
		err := rc.Host().Wet(ctx, desc, "", func(ctx context.Context) error {
			pl, err := placer.Place(ctx, m)
			if err == nil {
				rc.Log().Infof("published %s (%s) as /install/%s", m.Source, pl.How, pl.Name)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pruneMedia takes media off the web server that the spec no longer names
// (no backup: they are copies of the spec's sources, possibly gigabytes).
func pruneMedia(ctx context.Context, rc *RunContext, placer *webserver.Placer) error {
	var sources []string
	for _, m := range coreosMedia(rc.Spec()) {
		sources = append(sources, m.Source)
	}
	stale, err := placer.Stale(sources)
	if err != nil {
		return err
	}
	for _, path := range stale {
		err := rc.Host().Wet(ctx, "remove "+path+" (no longer named by spec.coreos)", "", func(context.Context) error {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("failed to remove %s: %w", path, err)
			}
			rc.Log().Infof("removed %s: spec.coreos no longer names it", path)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// waitPublished verifies the published files, giving a just-started nginx
// a moment to accept.
func waitPublished(ctx context.Context, rc *RunContext, in webserver.Input) error {
	if err := verifyPublished(ctx, rc, in); err != nil {
		if bastion.DialTCP(ctx, strings.TrimPrefix(in.BaseURL(), "http://")) == nil {
			return fmt.Errorf("failed to verify the web server: %w", err)
		}
		wait := bastion.WaitOptions{What: "nginx at " + in.BaseURL(), Timeout: 15 * time.Second,
			Interval: 200 * time.Millisecond, Log: rc.Log().Progressf}
		if err := bastion.Poll(ctx, wait, func(ctx context.Context) (bool, error) {
			err := verifyPublished(ctx, rc, in)
			return err == nil, err
		}); err != nil {
			return fmt.Errorf("failed to verify the web server: %w\nsee the log of %s", err, webserver.ServiceName)
		}
	}
	files, _ := webserver.Published(in.WebRoot)
	noun := "files"
	if len(files) == 1 {
		noun = "file"
	}
	rc.Log().Infof("%s serves %d %s byte for byte and refuses listings and other paths%s", in.BaseURL(), len(files), noun, missingIgnition(rc))
	return nil
}

// verifyPublished is okdctl verify's web server checks (every node's
// ignition is the bytes its boot line's hash names, listings and other
// paths refused: one implementation), and the CoreOS media byte for byte.
func verifyPublished(ctx context.Context, rc *RunContext, in webserver.Input) error {
	if bad := verify.Failed(verifyWeb(rc).Check(ctx)); len(bad) > 0 {
		return errors.New(strings.Join(bad, "\n"))
	}
	files, err := webserver.Published(in.WebRoot)
	if err != nil {
		return err
	}
	var media []webserver.File
	for _, f := range files {
		if !strings.HasPrefix(f.URLPath, "/"+webserver.IgnitionDir+"/") {
			media = append(media, f)
		}
	}
	v := &webserver.Verifier{BaseURL: BaseURL(rc.Cluster())}
	return v.Files(ctx, media)
}

// ignitionHashes reads the ignition phase's record (node -> sha512-<hex>).
func ignitionHashes(rc *RunContext) map[string]string {
	hashes := map[string]string{}
	if data, err := rc.Host().Files.ReadFile(rc.StatePath(FileIgnitionHashes)); err == nil {
		_ = json.Unmarshal(data, &hashes)
	}
	return hashes
}

// missingIgnition names the spec's nodes whose ignition is not published
// (yet, or no more: the bootstrap phase takes the bootstrap's away).
func missingIgnition(rc *RunContext) string {
	var missing []string
	for _, n := range rc.Spec().Nodes {
		if _, err := os.Stat(filepath.Join(rc.IgnitionWebDir(), n.Name+".ign")); err != nil {
			missing = append(missing, n.Name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "; no ignition published for " + strings.Join(missing, ", ")
}

// nginxDeployer runs nginx as user nginx on a real bastion, writing only
// its pid, log and temp directories.
func nginxDeployer(rc *RunContext, bin string, in webserver.Input) *webserver.Deployer {
	d := &webserver.Deployer{Host: rc.Host(), Binary: bin, ConfigPath: NginxConfigPath(rc)}
	if !rc.Sandbox() {
		d.User, d.Capabilities, d.WritePaths = NginxUser, bastion.BindCapabilities(in.Port), in.WriteDirs()
	}
	return d
}
