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
	// User runs the registry on a real bastion (empty: the sandbox, whose
	// supervisor ignores confinement). systemd hands it the certificate,
	// key and htpasswd as credentials (the files stay root's 0600) and
	// owns DataDir to it.
	User string
	// Port is where it listens: CAP_NET_BIND_SERVICE below 1024.
	Port int
	// CertFile, KeyFile and HtpasswdFile are the files handed to User's
	// registry (its config.yml names them under CredentialDir).
	CertFile, KeyFile, HtpasswdFile string
	// DataDir is the only directory the registry writes.
	DataDir string
}

// Credential names of the files systemd hands to the registry's user.
const (
	CredCert     = "registry.crt"
	CredKey      = "registry.key"
	CredHtpasswd = "htpasswd"
)

// CredentialPath is where the registry's user reads the credential name.
func CredentialPath(name string) string {
	return bastion.CredentialDir(ServiceName) + "/" + name
}

// Service is the registry's service definition (pure).
func Service(in ServiceInput) bastion.Service {
	svc := bastion.Service{
		Name:         ServiceName,
		Description:  "okdctl mirror registry (distribution)",
		Command:      []string{in.Okdctl, "serve", "registry", in.Config},
		ConfigDigest: in.ConfigDigest,
		// distribution exports OpenTelemetry traces to localhost:4318 by
		// default; okdctl's registry has no collector
		Env: []string{"OTEL_TRACES_EXPORTER=none"},
	}
	if in.User == "" {
		svc.Confine.None = true // the sandbox runs it as the user running okdctl
		return svc
	}
	svc.User, svc.Capabilities = in.User, bastion.BindCapabilities(in.Port)
	svc.Confine = bastion.Confinement{WritePaths: []string{in.DataDir}, Credentials: []bastion.Credential{
		{Name: CredCert, Path: in.CertFile}, {Name: CredKey, Path: in.KeyFile}, {Name: CredHtpasswd, Path: in.HtpasswdFile}}}
	return svc
}
