//go:build tools

// Package kube only records the tools this module builds.
package kube

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
