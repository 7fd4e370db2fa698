package day2

import (
	"testing"
	"time"
)

func TestParseWarn(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute,
		"": 0, "0d": 0, "-1d": 0, "d": 0, "3x": 0, "1.5d": 0, "soon": 0,
	} {
		got, err := ParseWarn(in)
		if (err != nil) != (want == 0) || got != want {
			t.Errorf("ParseWarn(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/home/core/backup": "/home/core/backup", "": "''", "a b": "'a b'", "it's": `'it'\''s'`, "$(x)": "'$(x)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
