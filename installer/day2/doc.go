// Package day2 is what okdctl does for a running cluster: backing up and
// restoring etcd (the bastion's DNS etcd with the client library, the
// cluster's through OpenShift's own scripts on a master over SSH), the
// certificate report, and adding a worker to the spec and the cluster.
// It composes the phases and service packages; cmd only parses flags.
package day2
