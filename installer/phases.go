package installer

// The phase names: the CLI names and the state keys. Code names a phase
// through these constants, so that a typo cannot silently turn re-runs off.
const (
	PhasePreflight     = "preflight"
	PhaseDNS           = "dns"
	PhaseLoadBalancer  = "loadbalancer"
	PhaseRegistry      = "registry"
	PhaseMirror        = "mirror"
	PhaseInstallConfig = "installconfig"
	PhaseManifests     = "manifests"
	PhaseIgnition      = "ignition"
	PhaseHTTP          = "http"
	PhaseBoot          = "boot"
	PhaseBootstrap     = "bootstrap"
	PhaseApprove       = "approve"
	PhaseScale         = "scale"
	PhaseComplete      = "complete"
)

// Declaration is what the install plan says about one phase: its name,
// one line on what it does, the earlier phases whose output it consumes
// (when one of them changes something, this one runs again), and the
// type that does the work.
type Declaration struct {
	Name     string
	Describe string
	Needs    []string
	New      func() Phase
}

// Plan is the install plan, in order: every phase declared once, as data.
// A phase that does not apply to a spec says so itself (ShouldRun), so
// that okdctl plan always shows the whole list.
func Plan() []Declaration {
	return []Declaration{
		{PhasePreflight, "checks the tools, the bastion address, free ports, SELinux, firewalld and time sync, and the release, openshift-install and CoreOS against each other", nil,
			func() Phase { return &PreflightPhase{} }},
		{PhaseDNS, "the cluster's records: etcd and CoreDNS on the bastion, or the site's DNS server (spec.dns)", nil,
			func() Phase { return &DNSPhase{} }},
		{PhaseLoadBalancer, "HAProxy for the API, machine config and ingress, or the site's load balancer verified", nil,
			func() Phase { return &LoadBalancerPhase{} }},
		{PhaseRegistry, "the mirror registry with okdctl's CA and htpasswd auth", nil,
			func() Phase { return &RegistryPhase{} }},
		{PhaseMirror, "the release payload copied into the mirror registry", []string{PhaseRegistry},
			func() Phase { return &MirrorPhase{} }},
		{PhaseInstallConfig, "install-config.yaml rendered from the spec", []string{PhaseRegistry, PhaseMirror},
			func() Phase { return &InstallConfigPhase{} }},
		{PhaseManifests, "openshift-install create manifests, then okdctl's patches", []string{PhaseInstallConfig},
			func() Phase { return &ManifestsPhase{} }},
		{PhaseIgnition, "openshift-install create ignition-configs and per-node ignition", []string{PhaseManifests},
			func() Phase { return &IgnitionPhase{} }},
		{PhaseHTTP, "nginx serving ignition and the CoreOS media", []string{PhaseIgnition},
			func() Phase { return &HTTPPhase{} }},
		{PhaseBoot, "each node's boot line, coreos-installer command, iPXE, PXE and GRUB entries; DHCP and TFTP with spec.pxe", []string{PhaseHTTP},
			func() Phase { return &BootPhase{} }},
		{PhaseBootstrap, "waits for bootstrap-complete, then drops the bootstrap node", []string{PhaseIgnition, PhaseLoadBalancer},
			func() Phase { return &BootstrapPhase{} }},
		{PhaseApprove, "verifying CSR approval until every node is Ready", []string{PhaseBootstrap},
			func() Phase { return &ApprovePhase{} }},
		{PhaseScale, "small-cluster adjustments through the operators' resources", []string{PhaseApprove},
			func() Phase { return &ScalePhase{} }},
		{PhaseComplete, "waits for install-complete and prints the console URL", []string{PhaseScale},
			func() Phase { return &CompletePhase{} }},
	}
}

// Phases is the install plan's phases, in order.
func Phases() []Phase {
	var out []Phase
	for _, d := range Plan() {
		out = append(out, d.New())
	}
	return out
}

// PhaseNames lists the phase names in order.
func PhaseNames() []string {
	var names []string
	for _, d := range Plan() {
		names = append(names, d.Name)
	}
	return names
}

// Declared is p's declaration: the plan's entry for its name, with what p
// says itself (Describer, Dependent) taking precedence, as phases outside
// the plan do (add-node's, the runner tests' fakes).
func Declared(p Phase) Declaration {
	d := Declaration{Name: p.Name()}
	for _, decl := range Plan() {
		if decl.Name == d.Name {
			d = decl
		}
	}
	if x, ok := p.(Describer); ok {
		d.Describe = x.Describe()
	}
	if x, ok := p.(Dependent); ok {
		d.Needs = x.Needs()
	}
	return d
}
