package installer

import "path/filepath"

// Files that phases hand to each other, relative to the state directory
// (RunContext.StatePath). Secrets are 0600.
const (
	// registry phase
	FileCACert         = "pki/ca.crt"        // okdctl's CA (0644)
	FileCAKey          = "pki/ca.key"        // 0600
	FileRegistryCert   = "pki/registry.crt"  // the registry's server certificate
	FileRegistryKey    = "pki/registry.key"  // 0600
	FileRegistryPass   = "registry/password" // 0600, never printed
	FileRegistryHtpass = "registry/htpasswd" // bcrypt
	FilePullSecret     = "pull-secret.json"  // 0600: the user's merged with the mirror's
	// mirror phase
	FileMirrorMapping = "mirror.json" // the mirror sources for install-config
	// installconfig phase
	FileInstallConfig = "install-config.yaml" // 0600 copy kept, openshift-install deletes its own
	// dns phase
	FilePublishedNodes = "dns/published.json" // every node name the dns phase has published
	DirManualDNS       = "dns/manual"         // the zone fragments of spec.dns.manual
	// ignition phase
	FileIgnitionHashes = "ignition/hashes.json" // node name -> "sha512-<hex>"
	// boot phase
	DirBoot = "boot" // per-node boot artifacts
	// loadbalancer, once the bootstrap phase dropped the bootstrap servers (they stay out)
	FileBootstrapRemoved = "haproxy/bootstrap-removed"
	// loadbalancer with spec.loadBalancer.external: the sections for the site's HAProxy
	FileHAProxySnippet = "haproxy/site-haproxy.cfg"
	// runs
	FileRunLog = "run.log" // JSON lines of every run
)

// WebRoot is the directory nginx serves: WebRoot/ignition and WebRoot/install.
// It holds nothing else, and is never a parent of the state or install directory.
func (rc *RunContext) WebRoot() string {
	return rc.Path("/usr/share/nginx/okdctl", rc.cluster.Metadata.Name)
}

// IgnitionWebDir is where per-node ignition is published (<node>.ign).
func (rc *RunContext) IgnitionWebDir() string { return filepath.Join(rc.WebRoot(), "ignition") }

// InstallWebDir is where the CoreOS media are published.
func (rc *RunContext) InstallWebDir() string { return filepath.Join(rc.WebRoot(), "install") }
