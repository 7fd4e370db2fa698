package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
)

// TestClockAgainstChronyd runs real chronyds on loopback (none touches the
// clock: -x): one serving its own time, one synchronised to it, one with
// no source. The clock check passes against the synchronised one, naming
// its source, fails (required) against the one without a source, and is
// skipped where no chronyd answers (another daemon may keep the clock).
func TestClockAgainstChronyd(t *testing.T) {
	t.Parallel()
	chronyc := testenv.Binary(t, "chronyc")
	port := testenv.FreePort(t, "127.0.0.1")
	startChronyd(t, "server", fmt.Sprintf("port %d\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 8\n", port))
	synced := startChronyd(t, "client", fmt.Sprintf("port 0\nserver 127.0.0.1 port %d iburst minpoll -4 maxpoll -4\n", port))
	lonely := startChronyd(t, "lonely", "port 0\n")

	var r Result
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if r = (&BastionInput{Chronyc: chronyc, ChronydSocket: synced}).clock(context.Background()); r.Status == Pass {
			break
		}
	}
	t.Logf("synchronised chronyd: %s %s", r.Status, r.Detail)
	if r.Status != Pass || !strings.Contains(r.Detail, "from 127.0.0.1") {
		t.Errorf("synchronised to a local server: %s %s → %s", r.Status, r.Detail, r.Fix)
	}
	r = (&BastionInput{Chronyc: chronyc, ChronydSocket: lonely}).clock(context.Background())
	if r.Status != Fail || !r.Required || !strings.Contains(r.Detail, "not synchronised") || r.Fix == "" {
		t.Errorf("chronyd without a source: %s %s → %s", r.Status, r.Detail, r.Fix)
	}
	r = (&BastionInput{Chronyc: chronyc, ChronydSocket: filepath.Join(t.TempDir(), "none.sock")}).clock(context.Background())
	if r.Status != Skipped || r.Required || !strings.Contains(r.Detail, "chronyd does not answer") {
		t.Errorf("no chronyd (the clock may be kept by another daemon): %s %s → %s", r.Status, r.Detail, r.Fix)
	}
	r = (&BastionInput{Chronyc: "okdctl-no-such-chronyc"}).clock(context.Background())
	if r.Status != Skipped || r.Required {
		t.Errorf("without chronyc: %s (required %t)", r.Status, r.Required)
	}
}

// startChronyd runs chronyd in the foreground with conf plus its own
// command socket, pid and drift files, without controlling the clock; it
// returns the command socket.
func startChronyd(t *testing.T, name, conf string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "chronyd.sock")
	conf += fmt.Sprintf("cmdport 0\nbindcmdaddress %s\npidfile %s\ndriftfile %s\n", sock, filepath.Join(dir, "chronyd.pid"), filepath.Join(dir, "drift"))
	path := filepath.Join(dir, "chrony.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testenv.Start(t, testenv.Binary(t, "chronyd"), "-d", "-x", "-u", "root", "-f", path)
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("chronyd %s did not open %s:\n%s", name, sock, p.Log.String())
	return ""
}
