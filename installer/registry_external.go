package installer

import (
	"net"
	"strconv"

	"github.com/okdctl/okdctl/registry"
)

// A site's own registry (spec.registry.external): okdctl runs none (the
// registry phase does not apply), mirrors the release into it with the
// credentials of its auth file, and install-config trusts its CA and
// carries those credentials.

// externalMirror is the site's registry as the mirror and install-config
// need it: its CA, and the user's pull secret merged with its credentials.
func externalMirror(rc *RunContext) (ca, pullSecret []byte, e *registry.Endpoint, err error) {
	e, err = MirrorEndpoint(rc)
	if err != nil {
		return nil, nil, nil, err
	}
	user, err := userPullSecret(rc.Spec())
	if err != nil {
		return nil, nil, nil, err
	}
	ps, err := registry.PullSecret(user, []string{e.Host()}, e.User, e.Password)
	if err != nil {
		return nil, nil, nil, err
	}
	rc.Log().AddSecret(pullSecretParts(string(ps))...)
	return e.CACert, ps, e, nil
}

// mirrorHostAddr is where the mirror's host:port is reached (ip:port).
func mirrorHostAddr(rc *RunContext) string {
	s := rc.Spec()
	if ext := s.Registry.External; ext != nil {
		if e, err := MirrorEndpoint(rc); err == nil {
			return e.Addr()
		}
		return ext.Host
	}
	return net.JoinHostPort(s.Bastion.IP, strconv.Itoa(s.Bastion.Ports.Registry))
}
