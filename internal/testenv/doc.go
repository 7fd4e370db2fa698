// Package testenv starts the real programs a bastion runs (etcd, CoreDNS,
// HAProxy, nginx, the registry, kube-apiserver) on loopback for tests. A
// missing program fails the test with the command that installs it; it
// never skips.
package testenv
