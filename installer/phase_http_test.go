package installer

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/webserver"
)

// TestHTTPPhaseSandbox plans and applies the http phase in a sandbox: the
// image from a local file (sha256 checked), the live kernel from a URL
// (downloaded once), ignition as the ignition phase publishes it, and
// every URL verified; a re-run changes nothing.
func TestHTTPPhaseSandbox(t *testing.T) {
	t.Parallel()
	c := sandboxWithPorts(t, "ignition: 18081")
	kernel := []byte(strings.Repeat("vmlinuz ", 40000))
	var kernelGets atomic.Int32
	media := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kernelGets.Add(1)
		http.ServeContent(w, r, "kernel", time.Time{}, strings.NewReader(string(kernel)))
	}))
	t.Cleanup(media.Close)
	image, err := os.ReadFile(c.Spec.CoreOS.Image)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(image)
	c.Spec.CoreOS.ImageSHA256 = hex.EncodeToString(sum[:])
	c.Spec.CoreOS.Kernel = media.URL + "/fcos-live-kernel-x86_64"

	root := t.TempDir()
	sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
	t.Cleanup(func() { _ = sb.Stop(context.Background(), webserver.ServiceName) })
	rc := &RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true})}
	publishTestIgnition(t, rc, "m0", "w0")

	_, s, _ := runPhase(t, c, root, true, &HTTPPhase{}, ApplyOptions{})
	planned := plannedText(s)
	for _, want := range []string{"create " + filepath.Join(root, "etc/nginx/okdctl.conf"), "ensure okdctl-nginx runs",
		"publish " + c.Spec.CoreOS.Image, "(hard link or copy, sha256 checked)", "fcos-live-kernel-x86_64 (resumable download)",
		"sandbox: firewalld and SELinux are left alone", "verify that http://127.0.1.1:"} {
		if !strings.Contains(planned, want) {
			t.Errorf("plan lacks %q:\n%s", want, planned)
		}
	}
	if kernelGets.Load() != 0 {
		t.Fatal("the plan downloaded the kernel")
	}

	_, s, out := runPhase(t, c, root, false, &HTTPPhase{}, ApplyOptions{})
	if s.Results[0].Status != StatusDone || !strings.Contains(out, "serves 4 files byte for byte") ||
		!strings.Contains(out, "no ignition published for bootstrap") {
		t.Fatalf("apply: %+v\n%s", s.Results[0], out)
	}
	for _, n := range []spec.Node{c.Spec.Nodes[1], c.Spec.Nodes[2]} {
		local, _ := os.ReadFile(filepath.Join(rc.IgnitionWebDir(), n.Name+".ign"))
		if got := fetchSHA512(t, IgnitionURL(c, n)); got != sha512Hex(local) {
			t.Errorf("%s serves other bytes than %s.ign", IgnitionURL(c, n), n.Name)
		}
	}
	if got := fetchSHA512(t, MediaURL(c, c.Spec.CoreOS.Kernel)); got != sha512Hex(kernel) {
		t.Error("the kernel is not served byte for byte")
	}

	pid, gets := sb.PID(webserver.ServiceName), kernelGets.Load()
	if _, s, _ = runPhase(t, c, root, false, &HTTPPhase{}, ApplyOptions{}); s.Results[0].Status != StatusUnchanged {
		t.Errorf("re-run: %+v, want unchanged", s.Results[0])
	}
	r, _, out := runPhase(t, c, root, false, &HTTPPhase{}, ApplyOptions{Force: []string{"http"}})
	if n := r.Host.Changes(); n != 0 || sb.PID(webserver.ServiceName) != pid || kernelGets.Load() != gets {
		t.Errorf("forced re-run: %d changes, pid %d -> %d, kernel fetched %d more times\n%s",
			n, pid, sb.PID(webserver.ServiceName), kernelGets.Load()-gets, out)
	}

	// a medium the spec no longer names leaves the web server
	c.Spec.CoreOS.Kernel = ""
	_, s, out = runPhase(t, c, root, false, &HTTPPhase{}, ApplyOptions{})
	if _, err := os.Stat(filepath.Join(rc.InstallWebDir(), "fcos-live-kernel-x86_64")); err == nil || s.Results[0].Status != StatusDone {
		t.Errorf("the dropped kernel is still published (%+v)\n%s", s.Results[0], out)
	}

	// a stale recorded hash is caught: the node's coreos-installer would refuse it
	os.WriteFile(rc.StatePath(FileIgnitionHashes), []byte(`{"m0":"sha512-00"}`), 0o644)
	h := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true})
	runner := &Runner{Cluster: c, Host: h, Log: NewLogger(LoggerOptions{}), Phases: []Phase{&HTTPPhase{}}}
	_, err = runner.Apply(context.Background(), ApplyOptions{Force: []string{"http"}})
	if err == nil || !strings.Contains(err.Error(), "m0.ign serves sha512-") || !strings.Contains(err.Error(), "the boot line says sha512-00") {
		t.Errorf("stale hash: %v", err)
	}
}

// publishTestIgnition writes what the ignition phase publishes: <node>.ign
// (0644) and the recorded hashes.
func publishTestIgnition(t *testing.T, rc *RunContext, nodes ...string) {
	t.Helper()
	hashes := map[string]string{}
	for _, n := range nodes {
		data := []byte(`{"ignition":{"version":"3.2.0"},"storage":{"files":[{"path":"/etc/hostname","contents":{"source":"data:,` + n + `"}}]}}`)
		path := filepath.Join(rc.IgnitionWebDir(), n+".ign")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		hashes[n] = "sha512-" + sha512Hex(data)
	}
	var b strings.Builder
	b.WriteString("{")
	i := 0
	for n, h := range hashes {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + n + `":"` + h + `"`)
		i++
	}
	b.WriteString("}")
	if err := os.MkdirAll(filepath.Dir(rc.StatePath(FileIgnitionHashes)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rc.StatePath(FileIgnitionHashes), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha512Hex(b []byte) string {
	s := sha512.Sum512(b)
	return hex.EncodeToString(s[:])
}

func fetchSHA512(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s answers %s", url, resp.Status)
	}
	h := sha512.New()
	io.Copy(h, resp.Body)
	return hex.EncodeToString(h.Sum(nil))
}

// TestHTTPPlanLab plans the lab example for a real bastion: the port is
// opened in firewalld, 8080 needs no SELinux label (http_cache_port_t),
// another port does; the image download is planned, not made.
func TestHTTPPlanLab(t *testing.T) {
	t.Parallel()
	for port, label := range map[int]bool{8080: false, 8090: true} {
		c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		c.Spec.Bastion.Ports.Ignition = port
		text := planOnFakeHost(t, c, &HTTPPhase{}, map[string]string{busctlKey: busctlPorts(""), "firewall-cmd --permanent --list-ports": "", "getenforce": "Enforcing",
			"semanage port -l": "http_cache_port_t              tcp      8080, 8118, 8123, 10001-10010\n" +
				"http_port_t                    tcp      80, 81, 443, 488, 8008, 8009, 8443, 9000"})
		p := strconv.Itoa(port)
		for _, want := range []string{"run firewall-cmd --permanent --add-port=" + p + "/tcp", "run firewall-cmd --add-port=" + p + "/tcp",
			"ensure okdctl-nginx runs", "publish https://rhcos.mirror.openshift.com/", "(resumable download)"} {
			if !strings.Contains(text, want) {
				t.Errorf("port %d: plan lacks %q:\n%s", port, want, text)
			}
		}
		if got := strings.Contains(text, "run semanage port -a -t http_port_t -p tcp "+p); got != label {
			t.Errorf("port %d: SELinux label planned %v, want %v:\n%s", port, got, label, text)
		}
	}
}
