package installer

import "github.com/okdctl/okdctl/bastion"

// Live shows msg after the running phase's spinner, redrawn in place, on
// a terminal; elsewhere it does nothing. It reports whether msg is shown.
func (l *Logger) Live(msg string) bool {
	s := l.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tty || s.spinStop == nil {
		return false
	}
	s.spinLive = "  " + bastion.Mask(msg, s.secrets...)
	return true
}

// ProgressEvent logs a progress line with its counts: a JSON event with a
// "progress" object, or a text line. On a terminal, where Live shows the
// progress in place, it goes only to the run's log file.
func (l *Logger) ProgressEvent(msg string, counts map[string]any) {
	ev := Event{Level: "progress", Phase: l.phase, Msg: msg, Progress: counts}
	s := l.shared
	s.mu.Lock()
	live := s.tty && s.spinStop != nil
	s.mu.Unlock()
	if !live {
		l.write(ev)
		return
	}
	l.writeFileOnly(ev)
}
