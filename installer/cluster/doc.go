// Package cluster is okdctl's side of the running cluster: the bootstrap
// wait, the verifying CSR approver (the spec's nodes are its inventory), the
// small-cluster scaler and the install-complete wait. It talks to a real
// kube-apiserver through client-go, takes its own small inputs and never
// imports installer.
package cluster
