package bastion

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Cmd is one command okdctl runs on the bastion.
type Cmd struct {
	Name  string
	Args  []string
	Dir   string
	Env   []string // added to the environment
	Stdin []byte
	// Secrets are masked wherever the command line or output is shown.
	Secrets []string
	// ReadOnly marks a command that changes nothing (a check); a dry run still runs it.
	ReadOnly bool
}

// Line is the command line as shown to people, secrets masked.
func (c Cmd) Line() string {
	parts := append([]string{c.Name}, c.Args...)
	for i, p := range parts {
		if strings.ContainsAny(p, " \t'\"$") {
			parts[i] = "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
	}
	return Mask(strings.Join(parts, " "), c.Secrets...)
}

// Runner runs commands.
type Runner interface {
	Run(ctx context.Context, cmd Cmd) ([]byte, error)
}

// CommandError carries the failed command line and its output.
type CommandError struct {
	Line   string
	Output string
	Err    error
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("command %q failed: %v", e.Line, e.Err)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n" + out
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

// ExecRunner runs commands as processes.
type ExecRunner struct{}

var _ Runner = ExecRunner{}

// Run implements Runner; the returned output is stdout and stderr combined.
func (ExecRunner) Run(ctx context.Context, cmd Cmd) ([]byte, error) {
	c := exec.CommandContext(ctx, cmd.Name, cmd.Args...)
	c.Dir = cmd.Dir
	if len(cmd.Env) > 0 {
		c.Env = append(c.Environ(), cmd.Env...)
	}
	if cmd.Stdin != nil {
		c.Stdin = bytes.NewReader(cmd.Stdin)
	}
	var out bytes.Buffer
	c.Stdout = &out
	c.Stderr = &out
	if err := c.Run(); err != nil {
		return out.Bytes(), &CommandError{
			Line:   cmd.Line(),
			Output: Mask(out.String(), cmd.Secrets...),
			Err:    err,
		}
	}
	return out.Bytes(), nil
}

// Mask replaces every non-empty secret in s with "*****".
func Mask(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "*****")
		}
	}
	return s
}
