// Package e2e rehearses the whole install on one machine: `okdctl apply`
// with every phase in a sandbox on loopback, against real etcd, CoreDNS,
// HAProxy, nginx and registries, the openshift-install test double, a real
// kube-apiserver standing in for the cluster, and simulated nodes that boot
// from what okdctl serves. It also kills okdctl in every phase, stops the
// services it depends on, and audits the output for secrets.
package e2e
