package reap

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// EnvNetwork is "private" in a test binary that runs in its own network
// namespace (and in what it starts).
const EnvNetwork = "OKDCTL_TESTENV_NETWORK"

// MainInPrivateNetwork is a TestMain for packages whose tests bind fixed
// loopback addresses: inside the reaper's namespaces it runs the tests
// again in a network namespace of their own with only lo (up), so that two
// runs of the package at once do not collide and nothing but loopback is
// reachable. prepare runs first, outside, for what needs the network (module
// downloads). Without the reaper (not root, or OKDCTL_TESTENV_NOREAP) the
// tests run in the host's network, as before.
func MainInPrivateNetwork(m *testing.M, prepare func() error) {
	switch {
	case os.Getenv(EnvNetwork) == "private":
		if err := loopbackUp(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv/reap: %v\n", err)
			os.Exit(2)
		}
	case os.Getenv(EnvRole) == "inside" && os.Getenv(EnvOff) == "":
		if prepare != nil {
			if err := prepare(); err != nil {
				fmt.Fprintf(os.Stderr, "testenv/reap: %v\n", err)
				os.Exit(2)
			}
		}
		code, err := runInNetwork()
		if err == nil {
			os.Exit(code)
		}
		fmt.Fprintf(os.Stderr, "testenv/reap: no private network (%v): the tests use the host's loopback\n", err)
	}
	os.Exit(m.Run())
}

// runInNetwork runs this test binary again in a new network namespace.
func runInNetwork() (int, error) {
	return rerun(append(os.Environ(), EnvNetwork+"=private"), syscall.CLONE_NEWNET)
}

// loopbackUp sets lo up: a new network namespace starts with it down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("failed to set lo up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("failed to set lo up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("failed to read the flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("failed to set lo up: %w", err)
	}
	return nil
}
