// Package examples holds ready cluster specs (lab, compact, ha,
// single-master, disconnected, existing-infra, sandbox) and the files they refer to;
// `okdctl init --example NAME` prints them.
package examples
