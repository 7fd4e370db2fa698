package sshmaster

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Options configure a simulated master.
type Options struct {
	// IP is the loopback address to listen on (127.0.1.x); Port 0 picks one.
	IP   string
	Port int
	// User may log in with AuthorizedKey (default "core").
	User          string
	AuthorizedKey ssh.PublicKey
	// Snapshot is copied by the stand-in cluster-backup.sh as snapshot_<time>.db.
	Snapshot string
}

// Master is a simulated master.
type Master struct {
	Addr string
	// Root stands in for the master's "/": the paths the master's tools use
	// (/home, /usr/local/bin, /etc/kubernetes, /var/lib/etcd) live under it.
	Root    string
	HostKey ssh.PublicKey
	o       Options
	rewrite *strings.Replacer
	mu      sync.Mutex
	cmds    []string
}

// mapped are the absolute paths the simulated file system holds.
var mapped = []string{"/home/", "/usr/local/bin/", "/etc/kubernetes", "/var/lib/etcd", "/root/"}

// Start runs a simulated master for the test's lifetime.
func Start(t testing.TB, o Options) *Master {
	t.Helper()
	if o.User == "" {
		o.User = "core"
	}
	m := &Master{Root: t.TempDir(), o: o}
	var pairs []string
	for _, p := range mapped {
		pairs = append(pairs, p, m.Root+p)
	}
	m.rewrite = strings.NewReplacer(pairs...)
	if err := m.install(); err != nil {
		t.Fatal(err)
	}
	cfg, err := m.serverConfig()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(o.IP, fmt.Sprint(o.Port)))
	if err != nil {
		t.Fatalf("failed to listen for the simulated master: %v", err)
	}
	m.Addr = l.Addr().String()
	t.Cleanup(func() { l.Close() })
	go m.serve(l, cfg)
	return m
}

func (m *Master) serverConfig() (*ssh.ServerConfig, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, err
	}
	m.HostKey = signer.PublicKey()
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if c.User() == m.o.User && m.o.AuthorizedKey != nil && string(k.Marshal()) == string(m.o.AuthorizedKey.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("permission denied")
	}}
	cfg.AddHostKey(signer)
	return cfg, nil
}

// Path is a path of the simulated file system ("/var/lib/etcd" -> under Root).
func (m *Master) Path(p string) string { return m.rewrite.Replace(p) }

// Commands are the commands run so far, as the client sent them.
func (m *Master) Commands() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.cmds...)
}

func (m *Master) serve(l net.Listener, cfg *ssh.ServerConfig) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
			if err != nil {
				conn.Close()
				return
			}
			go ssh.DiscardRequests(reqs)
			for nc := range chans {
				if nc.ChannelType() != "session" {
					_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
					continue
				}
				ch, creqs, err := nc.Accept()
				if err != nil {
					continue
				}
				go m.session(ch, creqs)
			}
		}()
	}
}

// session runs the exec request of one session.
func (m *Master) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			_ = req.Reply(req.Type == "env", nil)
			continue
		}
		var p struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &p); err != nil {
			_ = req.Reply(false, nil)
			return
		}
		_ = req.Reply(true, nil)
		m.mu.Lock()
		m.cmds = append(m.cmds, p.Command)
		m.mu.Unlock()
		status := m.exec(p.Command, ch, ch, ch.Stderr())
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
		return
	}
}

func (m *Master) exec(command string, stdin io.Reader, stdout, stderr io.Writer) uint32 {
	cmd := exec.Command("/bin/sh", "-c", m.rewrite.Replace(command))
	cmd.Dir = m.Path("/home/" + m.o.User)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(m.Root, "sim-bin")+":"+os.Getenv("PATH"),
		"HOME="+cmd.Dir, "SIM_ROOT="+m.Root, "SIM_SNAPSHOT="+m.o.Snapshot)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return uint32(ee.ExitCode())
	}
	fmt.Fprintln(stderr, err)
	return 127
}

// ClientKey makes a key pair: the private key as an OpenSSH PEM file (for
// okdctl's --ssh-key) and the public key (for Options.AuthorizedKey).
func ClientKey(t testing.TB) (string, ssh.PublicKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(key, "okdctl test")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return path, sp
}
