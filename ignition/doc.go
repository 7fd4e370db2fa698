// Package ignition builds what a node boots with: per-node Ignition configs
// (the role's config merged, the hostname, a static NetworkManager keyfile),
// MachineConfig manifests translated from Butane, the expiry of
// openshift-install's embedded certificates, and the boot artifacts (kernel
// arguments, coreos-installer command, iPXE, PXE and GRUB entries).
// Renderers are pure; the installer package publishes their output.
package ignition
