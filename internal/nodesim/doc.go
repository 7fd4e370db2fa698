// Package nodesim simulates machines joining a test kube-apiserver the way a
// kubelet does on OpenShift: a client CSR as the node bootstrapper, a Node,
// a serving CSR as system:node:NAME, Ready. It also plays the signer
// kube-controller-manager would run, and an adversary making wrong CSRs.
package nodesim
