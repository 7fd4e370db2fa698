//go:build tools

package testenv

// The tests load the OpenShift CRD manifests from the github.com/openshift/api
// module's files (see crds.go); this import keeps that module, at the
// version the cluster phases are written against, in go.mod.
import _ "github.com/openshift/api/config/v1"
