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
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not installed (looked in PATH, beside okdctl and in /usr/sbin)", name)
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
