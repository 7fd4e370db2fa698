// Package sshmaster simulates an OpenShift master that okdctl reaches over
// SSH: a real SSH server (golang.org/x/crypto/ssh) on a loopback address
// that runs each exec request with /bin/sh in a directory standing in for
// the master's file system, with stand-ins for sudo, crictl, systemctl and
// OpenShift's cluster-backup.sh and cluster-restore.sh.
package sshmaster
