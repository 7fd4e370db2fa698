// Package registryserve runs the bastion's mirror registry inside okdctl
// (`okdctl serve registry config.yml`): the CNCF distribution registry
// (github.com/distribution/distribution/v3) with only the filesystem storage
// driver and htpasswd auth linked, reading the same config.yml, certificate
// and htpasswd file as the registry program, and stopping cleanly on cancel.
package registryserve
