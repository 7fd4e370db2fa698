package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const defaultVersion = "4.15.0-0.okd-2024-03-10-010116"

// logOut receives the log lines: stderr, and DIR/.openshift_install.log
// for the create commands (the real installer keeps that log too).
var logOut io.Writer = os.Stderr

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(logOut, "level=fatal msg=%q\n", err.Error())
		os.Exit(1)
	}
}

func run(args []string) error {
	dir, rest, err := parseArgs(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 && rest[0] == "create" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(dir, ".openshift_install.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return err
		}
		defer f.Close()
		logOut = io.MultiWriter(os.Stderr, f)
	}
	switch strings.Join(rest, " ") {
	case "version":
		return printVersion()
	case "coreos print-stream-json":
		return printStreamJSON()
	case "create manifests":
		return createManifests(dir)
	case "create ignition-configs":
		return createIgnitionConfigs(dir)
	}
	return fmt.Errorf("unknown command %q: this double knows version, coreos print-stream-json, create manifests, create ignition-configs", strings.Join(rest, " "))
}

// parseArgs takes --dir DIR / --dir=DIR and --log-level anywhere.
func parseArgs(args []string) (string, []string, error) {
	dir := "."
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--dir" || a == "--log-level":
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("flag needs an argument: %s", a)
			}
			if a == "--dir" {
				dir = args[i+1]
			}
			i++
		case strings.HasPrefix(a, "--dir="):
			dir = strings.TrimPrefix(a, "--dir=")
		case strings.HasPrefix(a, "--log-level="):
		default:
			rest = append(rest, a)
		}
	}
	return dir, rest, nil
}

func now() time.Time {
	if s := os.Getenv("FAKEINSTALL_NOW"); s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t
		}
	}
	return time.Now()
}

func info(format string, args ...any) {
	fmt.Fprintf(logOut, "level=info msg=%q\n", fmt.Sprintf(format, args...))
}

func warn(format string, args ...any) {
	fmt.Fprintf(logOut, "level=warning msg=%q\n", fmt.Sprintf(format, args...))
}

func injectedFailure(command string) error {
	if os.Getenv("FAKEINSTALL_FAIL") == command {
		return fmt.Errorf("failed to fetch %s: failed to generate asset: injected failure (FAKEINSTALL_FAIL=%s)", command, command)
	}
	return nil
}

// hang stops the run at a named point when FAKEINSTALL_HANG names it: the
// point is written to FAKEINSTALL_HANG_FILE and the process sleeps until
// it is killed, so that a test can kill okdctl at an exact step.
func hang(point string) {
	if os.Getenv("FAKEINSTALL_HANG") != point {
		return
	}
	if f := os.Getenv("FAKEINSTALL_HANG_FILE"); f != "" {
		_ = os.WriteFile(f, []byte(point), 0o644)
	}
	info("hanging at %s (FAKEINSTALL_HANG)", point)
	for {
		time.Sleep(time.Hour)
	}
}
