// Package bastion holds every side effect okdctl has on the bastion host:
// atomic file replacement with backups, commands, services (systemd units on a
// real bastion, supervised processes in the sandbox) and probes. Each has a
// recording twin so that a dry run is the same code touching nothing.
package bastion
