package bastion

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// LookPath finds a program the bastion runs: in PATH, then beside the
// okdctl executable (where `make build` puts synthrelease), then in the sbin
// directories that PATH may lack.
func LookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	dirs = append(dirs, "/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/local/bin")
	for _, d := range dirs {
		if p := filepath.Join(d, name); isProgram(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not installed (looked in PATH, beside okdctl and in /usr/sbin)", name)
}

// Beside is the program name in the running executable's directory, when
// there is one there (`make build` puts okdctl and its helpers together).
func Beside(name string) (string, bool) {
	exe, err := os.Executable()
	if err != nil {
		return "", false
	}
	p := filepath.Join(filepath.Dir(exe), name)
	return p, isProgram(p)
}

// isProgram reports whether p is an executable file.
func isProgram(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Executable is the running okdctl's absolute path (symlinks resolved, so
// a unit names the file systemd runs), or "okdctl" when it cannot be found.
func Executable() string {
	exe, err := os.Executable()
	if err != nil {
		return "okdctl"
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		return p
	}
	return exe
}
