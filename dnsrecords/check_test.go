package dnsrecords

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/internal/testenv"
)

func TestCheckCorefile(t *testing.T) {
	t.Parallel()
	bin := testenv.CoreDNSCommand(t)
	in := testInput(3)
	srv := Server{Listen: []string{"127.0.1.1"}, Port: 15353, Endpoints: []string{"http://127.0.0.1:1"}}
	if err := CheckCorefile(context.Background(), bin, in, srv); err != nil {
		t.Fatalf("a good Corefile failed its check: %v", err)
	}
}

func TestCheckCorefileRejects(t *testing.T) {
	t.Parallel()
	bin := testenv.CoreDNSCommand(t)
	in := testInput(3)
	port := testenv.FreePort(t, "127.0.0.1")
	good, err := RenderCorefile(in, Server{Listen: []string{"127.0.0.1"}, Port: port, Endpoints: []string{"http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "no_apex_fallback", "no_such_property", 1)
	conf := filepath.Join(t.TempDir(), "Corefile")
	if err := os.WriteFile(conf, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	err = runCandidate(context.Background(), bin, conf, in.Zone(), fmt.Sprintf("127.0.0.1:%d", port))
	if err == nil || !strings.Contains(err.Error(), "no_such_property") {
		t.Fatalf("want the candidate refused with CoreDNS's reason, got %v", err)
	}
}
