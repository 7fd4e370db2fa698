// Package spec is the cluster spec: its Go types, strict loading (unknown
// fields and type errors reported with their field path and line),
// defaults, validation and the user-facing messages. Every problem of a
// spec file is reported at once, in one *SpecError naming the file.
package spec
