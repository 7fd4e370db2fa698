package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/spec"
)

const logFormatHelp = "text, or json for one JSON event per line (errors too)"

// addLogFormat gives every command --log-format (those reading a spec
// have their own), so that a script gets JSON from any of them, errors
// included; a format other than text or json is refused up front.
func addLogFormat(cmd *cobra.Command) {
	if cmd.Hidden {
		return // okdctl serve: the bastion's own services
	}
	if cmd.Flags().Lookup("log-format") == nil && cmd.Name() != "help" && cmd.Name() != "completion" {
		cmd.Flags().String("log-format", "text", logFormatHelp)
	}
	cmd.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if f := logFormat(c); f != "text" && f != "json" {
			return fmt.Errorf("--log-format %q is not known: use text or json", f)
		}
		return nil
	}
	for _, sub := range cmd.Commands() {
		addLogFormat(sub)
	}
}

// logFormat is the --log-format a command was run with ("text" without one).
func logFormat(cmd *cobra.Command) string {
	if cmd == nil {
		return "text"
	}
	if f := cmd.Flags().Lookup("log-format"); f != nil {
		return f.Value.String()
	}
	return "text"
}

// errorEvent is an error as one JSON line: the message, then (a spec's
// problems, a failed command's output) its details.
type errorEvent struct {
	Time    string   `json:"time"`
	Level   string   `json:"level"`
	Msg     string   `json:"msg"`
	Details []string `json:"details,omitempty"`
}

// printJSONError is printError for --log-format json.
func printJSONError(w io.Writer, err error) {
	ev := errorEvent{Time: time.Now().UTC().Format(time.RFC3339Nano), Level: "error"}
	var se *spec.SpecError
	if errors.As(err, &se) {
		first, _, _ := strings.Cut(se.Error(), "\n")
		ev.Msg = strings.TrimSuffix(first, ":")
		for _, e := range se.Errors {
			ev.Details = append(ev.Details, e.Error())
		}
	} else {
		msg := err.Error()
		var de interface{ Detail() string }
		if errors.As(err, &de) {
			msg = de.Detail()
		}
		first, rest, _ := strings.Cut(msg, "\n")
		ev.Msg = first
		for _, line := range strings.Split(strings.TrimRight(rest, "\n"), "\n") {
			if strings.TrimSpace(line) != "" {
				ev.Details = append(ev.Details, strings.TrimSpace(line))
			}
		}
	}
	data, _ := json.Marshal(ev)
	fmt.Fprintf(w, "%s\n", data)
}

// printJSONEvent prints one informational event for --log-format json.
func printJSONEvent(w io.Writer, msg string, fields map[string]any) {
	ev := map[string]any{"time": time.Now().UTC().Format(time.RFC3339Nano), "level": "info", "msg": msg}
	for k, v := range fields {
		ev[k] = v
	}
	data, _ := json.Marshal(ev)
	fmt.Fprintf(w, "%s\n", data)
}
