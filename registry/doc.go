// Package registry runs the bastion's mirror registry and mirrors a release
// into it: okdctl's own CA and the registry's server certificate, the
// generated password with its bcrypt htpasswd and pull secret, the
// distribution registry's configuration and service, verification of TLS and
// auth, and a resumable, concurrent release mirror (manifests through
// go-containerregistry, blob bytes in one PUT each, digests verified by the
// registry). It takes its own small inputs and never imports
// installer.
package registry
