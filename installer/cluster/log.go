package cluster

// Logger receives progress for people; installer's Logger fits it.
type Logger interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
	Progressf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Infof(string, ...any)     {}
func (nopLogger) Warnf(string, ...any)     {}
func (nopLogger) Progressf(string, ...any) {}

func orNop(l Logger) Logger {
	if l == nil {
		return nopLogger{}
	}
	return l
}
