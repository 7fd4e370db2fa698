package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/examples"
)

// userHome gives the test a home directory holding the named public keys
// and a PATH with okdctl's openshift-install double (a stub) on it.
func userHome(t *testing.T, keys ...string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	key, err := examples.FS.ReadFile("files/example_ed25519.pub")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".ssh", k), key, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(home, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, doubleName), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return home
}

// TestInitExamplesValidateInAnEmptyDirectory: every example init writes
// validates as written in an empty directory of a user with an SSH key.
func TestInitExamplesValidateInAnEmptyDirectory(t *testing.T) {
	userHome(t, "id_ed25519.pub")
	for _, name := range examples.Names {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "cluster.yaml")
			if _, errOut, code := run(t, "init", "--example", name, "-o", file); code != 0 {
				t.Fatalf("init: exit %d: %s", code, errOut)
			}
			if out, errOut, code := run(t, "validate", "-f", file); code != 0 {
				t.Fatalf("the %s example does not validate as init wrote it:\n%s%s", name, out, errOut)
			}
		})
	}
}

// TestInitWritesSideFilesIntoTheCurrentDirectory: printed to standard
// output, the spec's side files land in the current directory, and a file
// already there (the user's own) is kept.
func TestInitWritesSideFilesIntoTheCurrentDirectory(t *testing.T) {
	userHome(t, "id_ed25519.pub")
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("files", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("files/chrony.bu", []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "init", "--example", "existing-infra")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if err := os.WriteFile("cluster.yaml", []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "validate", "-f", "cluster.yaml"); code != 0 {
		t.Fatalf("existing-infra printed to stdout does not validate in its directory: %s", errOut)
	}
	fi, err := os.Stat("files/example-tsig.key")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the TSIG key is not written 0600: %v %v", fi, err)
	}
	if !strings.Contains(errOut, "files/example-tsig.key") {
		t.Errorf("init does not say which files it wrote: %q", errOut)
	}
	if _, _, code := run(t, "init", "--example", "ha"); code != 0 {
		t.Fatal("init ha failed")
	}
	if data, _ := os.ReadFile("files/chrony.bu"); string(data) != "mine" {
		t.Errorf("init overwrote the user's files/chrony.bu: %q", data)
	}
	if _, errOut, code := run(t, "init", "-o", "cluster.yaml"); code != 1 || !strings.Contains(errOut, "never overwrites") {
		t.Errorf("init -o over an existing spec: exit %d %q", code, errOut)
	}
}

// TestInitPicksTheUsersKey: ed25519 first, then ecdsa, then rsa; without
// any, init says how to make one.
func TestInitPicksTheUsersKey(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		want string
	}{
		{[]string{"id_rsa.pub", "id_ed25519.pub", "id_ecdsa.pub"}, "~/.ssh/id_ed25519.pub"},
		{[]string{"id_rsa.pub", "id_ecdsa.pub"}, "~/.ssh/id_ecdsa.pub"},
		{[]string{"id_rsa.pub"}, "~/.ssh/id_rsa.pub"},
		{nil, "~/.ssh/id_ed25519.pub"},
	} {
		userHome(t, tc.keys...)
		t.Chdir(t.TempDir())
		out, errOut, code := run(t, "init")
		if code != 0 || !strings.Contains(out, "sshKeyFile: "+tc.want+" ") {
			t.Errorf("keys %v: want sshKeyFile %s, exit %d:\n%s", tc.keys, tc.want, code, out)
		}
		if hint := strings.Contains(errOut, "ssh-keygen -t ed25519"); hint != (len(tc.keys) == 0) {
			t.Errorf("keys %v: ssh-keygen hint shown %v: %q", tc.keys, hint, errOut)
		}
	}
}
