// Package release derives the OKD / OpenShift release (x.y) from the spec and
// answers, in one place, every question whose answer changes with it.
package release
