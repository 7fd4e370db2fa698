// Package installer is okdctl's engine and composition root: the install
// plan (Plan: every phase's name, description and needs, as data), the
// runner (selection, resume by input digest and generation, dry run, lock),
// the state file, the logger, and one thin file per phase that reads the
// spec, calls the package that owns the work and records what it did.
package installer
