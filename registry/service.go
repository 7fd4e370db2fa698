package registry

import (
	"errors"
	"path/filepath"

	"github.com/okdctl/okdctl/bastion"
)

// ServiceName is the registry's unit (or sandbox service) name.
const ServiceName = "okdctl-registry"

// How the registry runs.
const (
	// RuntimeBinary runs the distribution registry program (Debian's
	// docker-registry, or upstream's registry) directly.
	RuntimeBinary = "binary"
	// RuntimePodman runs the distribution registry image with podman.
	RuntimePodman = "podman"
	// DefaultImage is the registry image podman runs.
	DefaultImage = "docker.io/library/registry:2"
)

// Runtime says how the registry runs.
type Runtime struct {
	Kind string
	// Program is the registry binary (RuntimeBinary) or podman (RuntimePodman).
	Program string
	// Image is the registry image (RuntimePodman).
	Image string
}

// DetectRuntime picks podman when there is one (a real bastion only), else
// the distribution registry binary. look is exec.LookPath or a test double.
func DetectRuntime(look func(string) (string, error), sandbox bool) (Runtime, error) {
	if !sandbox {
		if p, err := look("podman"); err == nil {
			return Runtime{Kind: RuntimePodman, Program: p, Image: DefaultImage}, nil
		}
	}
	for _, name := range []string{"docker-registry", "registry"} {
		if p, err := look(name); err == nil {
			return Runtime{Kind: RuntimeBinary, Program: p}, nil
		}
	}
	if sandbox {
		return Runtime{}, errors.New("no registry program found: install Debian's docker-registry (apt-get install docker-registry) or run `make tools`")
	}
	return Runtime{}, errors.New("neither podman nor the distribution registry binary (docker-registry or registry) found: install podman (dnf install podman) or docker-registry")
}

// ServiceInput is what the registry's service definition needs.
type ServiceInput struct {
	Runtime Runtime
	Config  string // config.yml
	// Files are the files the config names (certificate, key, htpasswd),
	// mounted read-only into a container.
	Files   []string
	DataDir string
	// ConfigDigest changes when any file the registry reads changes.
	ConfigDigest string
	// User runs the registry binary on a real bastion (empty: sandbox).
	// systemd hands it the certificate, key and htpasswd (Credentials:
	// the files stay root's 0600) and owns DataDir to it.
	User string
	// Port is where it listens: CAP_NET_BIND_SERVICE below 1024.
	Port int
	// CertFile, KeyFile and HtpasswdFile are the files a User's registry
	// is handed (the config names them under CredentialDir).
	CertFile, KeyFile, HtpasswdFile string
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
		ConfigDigest: in.ConfigDigest,
	}
	if in.Runtime.Kind != RuntimePodman {
		svc.Command = []string{in.Runtime.Program, "serve", in.Config}
		if in.User != "" {
			svc.User, svc.Capabilities = in.User, bastion.BindCapabilities(in.Port)
			svc.Confine = bastion.Confinement{WritePaths: []string{in.DataDir}, Credentials: []bastion.Credential{
				{Name: CredCert, Path: in.CertFile}, {Name: CredKey, Path: in.KeyFile}, {Name: CredHtpasswd, Path: in.HtpasswdFile}}}
		} else {
			svc.Confine.None = true // root, as before (the sandbox ignores it)
		}
		return svc
	}
	// podman needs root, namespaces and mounts: its container is the confinement
	svc.Confine.None = true
	image := in.Runtime.Image
	if image == "" {
		image = DefaultImage
	}
	cmd := []string{in.Runtime.Program, "run", "--rm", "--replace", "--name", ServiceName, "--net", "host"}
	for _, f := range append([]string{in.Config}, in.Files...) {
		f = filepath.Clean(f)
		cmd = append(cmd, "-v", f+":"+f+":ro,Z")
	}
	cmd = append(cmd, "-v", in.DataDir+":"+in.DataDir+":Z", image, in.Config)
	svc.Command = cmd
	return svc
}
