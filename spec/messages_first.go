package spec

// Messages of the checks a new user's first spec meets (issue 14): host
// addresses, disks and interfaces, timeouts, local files and image
// references. Each says what is wrong and what to do about it.
const (
	msgNetworkAddr   = "%s is the network address of spec.network.machineCIDR %s: no machine can use it; pick a host address"
	msgBroadcastAddr = "%s is the broadcast address of spec.network.machineCIDR %s: no machine can use it; pick a host address"
	msgBareDisk      = "%q is a bare device name: write /dev/%[1]s (coreos-installer wants the device path)"
	msgNICRequired   = "is required: name the interface the node's static address goes on (e.g. ens3, as `ip link` on the machine shows it); without it the boot line's ip= and the NetworkManager keyfile name none, and a machine with several NICs may put the address on the wrong one"
	msgTimeoutShort  = "%s is too short for a real machine (%s takes minutes): use at least %s (the default is %s), or leave it out"
	msgImageScheme   = "%q is an image reference, not a URL: drop the %s scheme (REGISTRY/REPOSITORY:TAG or @sha256:DIGEST); a registry served over plain HTTP is named the same way"
	msgMissingMedia  = "%s does not exist: copy the CoreOS image there, or give its http(s) URL (`openshift-install coreos print-stream-json` lists the right one)"
	msgMissingTool   = "%s does not exist: point openshiftInstall at the openshift-install of your release (`oc adm release extract --command=openshift-install <release image>`), or leave it empty to use the one on PATH"
	msgMissingDouble = "%s does not exist: the sandbox example's openshift-install is okdctl's test double, which `make build` puts in bin/ of okdctl's repository, so the example's ../bin/openshift-install-double resolves only inside a checkout of the repository: point openshiftInstall at bin/openshift-install-double there"
)
