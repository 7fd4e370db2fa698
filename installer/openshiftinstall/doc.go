// Package openshiftinstall renders install-config.yaml from typed structs and
// drives the openshift-install binary (version check, create manifests,
// create ignition-configs) through a bastion.Runner, so that dry runs record
// the commands and errors carry their output with secrets masked.
package openshiftinstall
