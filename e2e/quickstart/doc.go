// Package quickstart runs what README.md tells a new user to run, as
// written: `make demo` (the Makefile's recipe and scripts/demo.sh, without
// its final e2e rehearsal) and the "Trying it in a sandbox" block, each in a
// copy of the repository paths they use and in a network namespace of its
// own (the README's loopback addresses and ports are fixed), then checks
// what the README promises and that `okdctl down` leaves nothing running.
package quickstart
