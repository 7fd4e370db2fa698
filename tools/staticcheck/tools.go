//go:build tools

// Package staticcheck only pins the staticcheck version `make lint` builds.
package staticcheck

import _ "honnef.co/go/tools/cmd/staticcheck"
