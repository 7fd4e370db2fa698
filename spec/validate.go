package spec

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/hashicorp/go-multierror"
	"golang.org/x/crypto/ssh"

	"github.com/okdctl/okdctl/spec/release"
)

var (
	dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	nicRE      = regexp.MustCompile(`^[^\s/:]{1,15}$`)
	userRE     = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	sha256RE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// reservedNames are the cluster's own names under <cluster>.<baseDomain>
// (dns: the zone's name server, ns.dns): a node named so would shadow or be
// shadowed by the cluster's record. etcd-N are reserved too on releases
// that have etcd records (ReservedNodeNames).
var reservedNames = []string{"api", "api-int", "apps", "registry", "bastion", "dns"}

// ReservedNodeNames are the names no node may have: the cluster's own
// records, and etcd-0.. for every master on releases older than 4.4.
func ReservedNodeNames(c *Cluster) []string {
	names := append([]string{}, reservedNames...)
	if v, err := c.ReleaseVersion(); err == nil && v.Major == 4 && v.NeedsEtcdRecords() {
		for i := range c.Spec.NodesWithRole(RoleMaster) {
			names = append(names, fmt.Sprintf("etcd-%d", i))
		}
	}
	return names
}

// validator collects field errors.
type validator struct {
	errs *multierror.Error
}

func (v *validator) add(path, format string, args ...any) {
	v.errs = multierror.Append(v.errs, fieldErr(path, format, args...))
}

// Validate checks a defaulted spec and returns every problem, or nil.
func (c *Cluster) Validate() *multierror.Error {
	v := &validator{}
	if c.APIVersion != APIVersion {
		v.add("apiVersion", msgAPIVersion, c.APIVersion, APIVersion)
	}
	if c.Kind != Kind {
		v.add("kind", msgKind, c.Kind, Kind)
	}
	v.dnsLabel("metadata.name", c.Metadata.Name)
	v.dnsName("spec.baseDomain", c.Spec.BaseDomain)
	ver, verOK := v.release(c)
	v.coreos(&c.Spec.CoreOS)
	if verOK && c.Spec.CoreOS.Image != "" {
		v.coreosRelease(c, ver)
	}
	v.files(&c.Spec)
	v.localFiles(&c.Spec)
	v.timeouts(&c.Spec)
	machine := v.network(&c.Spec.Network, ver, verOK)
	v.bastion(&c.Spec.Bastion, machine)
	v.registry(&c.Spec)
	v.infra(&c.Spec)
	v.pxe(&c.Spec)
	v.nodes(c, machine)
	return v.errs
}

func (v *validator) dnsLabel(path, s string) bool {
	if s == "" {
		v.add(path, msgRequired)
		return false
	}
	if !dnsLabelRE.MatchString(s) {
		v.add(path, msgDNSLabel, s)
		return false
	}
	return true
}

func (v *validator) dnsName(path, s string) {
	if s == "" {
		v.add(path, msgRequired)
		return
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !dnsLabelRE.MatchString(label) || len(s) > 253 {
			v.add(path, msgDNSName, s)
			return
		}
	}
}

func (v *validator) release(c *Cluster) (release.Version, bool) {
	r := c.Spec.Release
	if r.Image == "" {
		v.add("spec.release.image", msgRequired)
	} else if v.imageScheme("spec.release.image", r.Image) {
		// said plainly, without the parser's hint for Go programmers
	} else if _, err := name.ParseReference(r.Image, name.StrictValidation); err != nil {
		v.add("spec.release.image", msgImageRef, r.Image, err)
	}
	rel := release.SpecRelease{Image: r.Image, Version: r.Version, PullSecret: c.Spec.PullSecretFile != ""}
	ver, known, problems := rel.Resolve()
	for _, p := range problems {
		if !p.Warning { // warnings are preflight's to tell
			v.errs = multierror.Append(v.errs, fieldErr(p.Field, "%s", p.Message))
		}
	}
	return ver, known
}

// coreosRelease checks the CoreOS image against the stream the release
// boots; a name that says nothing is preflight's warning.
func (v *validator) coreosRelease(c *Cluster, ver release.Version) {
	product := release.ProductOf(c.Spec.Release.Image, "")
	if _, _, err := release.CheckCoreOS(product, ver, c.Spec.CoreOS.Image); err != nil {
		v.add("spec.coreos.image", "%v", err)
	}
}

func (v *validator) coreos(o *CoreOS) {
	if o.Image == "" {
		v.add("spec.coreos.image", msgRequired+": a local CoreOS metal image or its http(s) URL")
	}
	for _, f := range []struct{ path, val string }{
		{"spec.coreos.image", o.Image}, {"spec.coreos.kernel", o.Kernel},
		{"spec.coreos.initramfs", o.Initramfs}, {"spec.coreos.rootfs", o.Rootfs},
	} {
		if strings.Contains(f.val, "://") && !IsURL(f.val) {
			v.add(f.path, msgURL, f.val)
		}
	}
	if o.ImageSHA256 != "" && !sha256RE.MatchString(o.ImageSHA256) {
		v.add("spec.coreos.imageSHA256", msgSHA256, o.ImageSHA256)
	}
	set := 0
	for _, s := range []string{o.Kernel, o.Initramfs, o.Rootfs} {
		if s != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		v.add("spec.coreos", msgPXEMedia)
	}
}

func (v *validator) files(s *ClusterSpec) {
	if data, err := os.ReadFile(s.SSHKeyFile); err != nil {
		v.add("spec.sshKeyFile", msgUnreadable, s.SSHKeyFile, unwrapPathError(err))
	} else if _, _, _, _, err := ssh.ParseAuthorizedKey(data); err != nil {
		v.add("spec.sshKeyFile", msgSSHKey, s.SSHKeyFile)
	}
	if s.PullSecretFile != "" {
		if data, err := os.ReadFile(s.PullSecretFile); err != nil {
			v.add("spec.pullSecretFile", msgUnreadable, s.PullSecretFile, unwrapPathError(err))
		} else {
			// the content is secret: the error never quotes it
			if !validPullSecret(data) {
				v.add("spec.pullSecretFile", msgPullSecret, s.PullSecretFile)
			}
		}
	}
	for i, f := range s.MachineConfigs {
		if _, err := os.ReadFile(f); err != nil {
			v.add(fmt.Sprintf("spec.machineConfigs[%d]", i), msgUnreadable, f, unwrapPathError(err))
		}
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (v *validator) prefix(path, s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		v.add(path, msgCIDR, s)
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

func (v *validator) addr(path, s string) (netip.Addr, bool) {
	if s == "" {
		v.add(path, msgRequired)
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		v.add(path, msgIP, s)
		return netip.Addr{}, false
	}
	return a, true
}

// validPullSecret checks the shape of a pull secret: {"auths": {host:
// {"auth": base64(user:password)}}}, entries with an auth or a user.
func validPullSecret(data []byte) bool {
	var ps struct {
		Auths map[string]struct {
			Auth     string `json:"auth"`
			Username string `json:"username"`
		} `json:"auths"`
	}
	if json.Unmarshal(data, &ps) != nil || ps.Auths == nil {
		return false
	}
	for _, a := range ps.Auths {
		if a.Auth == "" {
			if a.Username == "" {
				return false
			}
			continue
		}
		dec, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil || !strings.Contains(string(dec), ":") {
			return false
		}
	}
	return true
}
