package registry

import (
	"github.com/okdctl/okdctl/bastion"
)

// ServiceName is the registry's unit (or sandbox service) name.
const ServiceName = "okdctl-registry"

// ServiceInput is what the registry's service definition needs.
type ServiceInput struct {
	// Okdctl is the okdctl program: it serves the registry itself
	// (`okdctl serve registry config.yml`, the distribution registry).
	Okdctl string
	Config string // config.yml
	// ConfigDigest changes when any file the registry reads changes.
	ConfigDigest string
}

// Service is the registry's service definition (pure).
func Service(in ServiceInput) bastion.Service {
	return bastion.Service{
		Name:         ServiceName,
		Description:  "okdctl mirror registry (distribution)",
		Command:      []string{in.Okdctl, "serve", "registry", in.Config},
		ConfigDigest: in.ConfigDigest,
		// root and unconfined, as before: confined as its own user it
		// answered 500 (permission denied in its data directory) on the
		// Debian bastion; issue 12 left that open
		Confine: bastion.Confinement{None: true},
	}
}
