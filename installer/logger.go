package installer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// Logger prints phase messages to people (text) or programs (JSON lines),
// and copies them to the run's log file. Registered secrets are masked in
// everything it writes.
type Logger struct {
	shared *logShared
	phase  string
}

type logShared struct {
	mu      sync.Mutex
	out     io.Writer
	file    io.Writer
	json    bool
	secrets []string
	rewrite func(string) string
	now     func() time.Time
	// a spinner line, drawn only on a terminal, for the phase that runs
	tty       bool
	spinWhat  string
	spinStart time.Time
	spinStop  chan struct{}
	spinLive  string // a progress line shown after the spinner (Live)
}

// LoggerOptions configures a Logger.
type LoggerOptions struct {
	Out  io.Writer
	File io.Writer // the run's log file (optional)
	JSON bool
	// TTY draws a spinner line while a phase runs (text output on a terminal only).
	TTY bool
	// Rewrite, when set, rewrites every message (the CLI adds the run's
	// flags to the okdctl commands a message suggests).
	Rewrite func(string) string
}

// NewLogger builds a Logger.
func NewLogger(o LoggerOptions) *Logger {
	if o.Out == nil {
		o.Out = io.Discard
	}
	return &Logger{shared: &logShared{out: o.Out, file: o.File, json: o.JSON, now: time.Now, tty: o.TTY && !o.JSON, rewrite: o.Rewrite}}
}

// WithPhase returns a Logger whose lines carry [phase].
func (l *Logger) WithPhase(phase string) *Logger {
	if l == nil {
		return nil
	}
	return &Logger{shared: l.shared, phase: phase}
}

// AddSecret masks s in every later line.
func (l *Logger) AddSecret(s ...string) {
	l.shared.mu.Lock()
	defer l.shared.mu.Unlock()
	for _, v := range s {
		if len(v) >= 4 {
			l.shared.secrets = append(l.shared.secrets, v)
		}
	}
}

// Mask masks the registered secrets in s.
func (l *Logger) Mask(s string) string {
	l.shared.mu.Lock()
	defer l.shared.mu.Unlock()
	return bastion.Mask(s, l.shared.secrets...)
}

// Infof logs an informational line.
func (l *Logger) Infof(format string, args ...any) { l.emit("info", fmt.Sprintf(format, args...)) }

// Warnf logs a warning.
func (l *Logger) Warnf(format string, args ...any) { l.emit("warning", fmt.Sprintf(format, args...)) }

// Progressf logs a line of a long wait; it fits bastion.WaitOptions.Log.
func (l *Logger) Progressf(format string, args ...any) {
	l.emit("progress", fmt.Sprintf(format, args...))
}

// Event is one JSON log line.
type Event struct {
	Time     string `json:"time"`
	Level    string `json:"level"`
	Phase    string `json:"phase,omitempty"`
	Msg      string `json:"msg"`
	Status   string `json:"status,omitempty"`
	Duration string `json:"duration,omitempty"`
	// Progress holds the counts of a progress event (the mirror's).
	Progress map[string]any `json:"progress,omitempty"`
}

func (l *Logger) emit(level, msg string) {
	l.write(Event{Level: level, Phase: l.phase, Msg: msg})
}

// write prints one event in the configured form.
func (l *Logger) write(ev Event) {
	s := l.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	ev.Msg = bastion.Mask(ev.Msg, s.secrets...)
	if s.rewrite != nil {
		ev.Msg = s.rewrite(ev.Msg)
	}
	ev.Time = s.now().UTC().Format(time.RFC3339)
	jsonLine, _ := json.Marshal(ev)
	text := textLine(ev)
	if s.json {
		fmt.Fprintf(s.out, "%s\n", jsonLine)
	} else {
		s.clearSpinner()
		fmt.Fprint(s.out, text)
	}
	if s.file != nil {
		fmt.Fprintf(s.file, "%s\n", jsonLine)
	}
}

// writeFileOnly puts one event in the run's log file only.
func (l *Logger) writeFileOnly(ev Event) {
	s := l.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return
	}
	ev.Msg = bastion.Mask(ev.Msg, s.secrets...)
	ev.Time = s.now().UTC().Format(time.RFC3339)
	line, _ := json.Marshal(ev)
	fmt.Fprintf(s.file, "%s\n", line)
}

func textLine(ev Event) string {
	if ev.Level == "status" {
		line := fmt.Sprintf("%s %-13s %-9s %8s", statusMark(ev.Status), ev.Phase, ev.Status, ev.Duration)
		if ev.Msg != "" {
			line += "  " + ev.Msg
		}
		return line + "\n"
	}
	var b strings.Builder
	prefix := ""
	if ev.Phase != "" {
		prefix = "[" + ev.Phase + "] "
	}
	if ev.Level == "warning" {
		prefix += "WARNING: "
	}
	for _, line := range strings.Split(strings.TrimRight(ev.Msg, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

// Raw prints s as is (text mode only): plans, tables and diffs.
func (l *Logger) Raw(s string) {
	sh := l.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s = bastion.Mask(s, sh.secrets...)
	if !sh.json {
		sh.clearSpinner()
		fmt.Fprint(sh.out, s)
	}
}

// Status prints a phase's status line (ending in ✓ or ✗).
func (l *Logger) Status(phase, status string, d time.Duration, detail string) {
	dur := "-"
	if d > 0 {
		dur = roundDuration(d).String()
	}
	l.write(Event{Level: "status", Phase: phase, Status: status, Duration: dur, Msg: detail})
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

func statusMark(status string) string {
	switch status {
	case StatusDone, StatusUnchanged:
		return "✓"
	case StatusFailed:
		return "✗"
	}
	return "-"
}

// attachFile copies every later line to w as JSON (nil detaches).
func (l *Logger) attachFile(w io.Writer) {
	l.shared.mu.Lock()
	defer l.shared.mu.Unlock()
	l.shared.file = w
}

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// startSpinner shows "⠋ what 1.2s" on a terminal until stopSpinner; other
// lines print above it.
func (l *Logger) startSpinner(what string) {
	s := l.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tty || s.spinStop != nil {
		return
	}
	s.spinWhat, s.spinStart, s.spinStop, s.spinLive = what, time.Now(), make(chan struct{}), ""
	go s.spin(s.spinStop)
}

func (s *logShared) spin(stop chan struct{}) {
	t := time.NewTicker(120 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		if s.spinStop == stop {
			fmt.Fprintf(s.out, "\r\033[K%s %s %s%s", spinnerFrames[i%len(spinnerFrames)], s.spinWhat,
				roundDuration(time.Since(s.spinStart)), s.spinLive)
		}
		s.mu.Unlock()
	}
}

// stopSpinner removes the spinner line.
func (l *Logger) stopSpinner() {
	s := l.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spinStop != nil {
		close(s.spinStop)
		s.spinStop = nil
		s.clearSpinner()
	}
}

// clearSpinner erases the spinner line before another line (mu held).
func (s *logShared) clearSpinner() {
	if s.tty {
		fmt.Fprint(s.out, "\r\033[K")
	}
}
