package day2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHOptions say how okdctl logs in to the masters (as the seeds do: core
// with the key whose public half is spec.sshKeyFile).
type SSHOptions struct {
	User string // default core
	// KeyFile is the private key (default: the private half of
	// spec.sshKeyFile, else the first of ~/.ssh/id_ed25519, id_ecdsa,
	// id_rsa); ssh-agent is used too when SSH_AUTH_SOCK is set.
	KeyFile string
	Port    int // default 22
	// KnownHosts records the masters' host keys, trusted on first use
	// (default <state>/ssh_known_hosts); ~/.ssh/known_hosts is read too.
	KnownHosts string
	Timeout    time.Duration // connecting (default 15 s)
}

// withDefaults fills in what o leaves out; pubKeyFile is spec.sshKeyFile,
// whose private half is the key the masters accept.
func (o SSHOptions) withDefaults(stateDir, pubKeyFile string) SSHOptions {
	if o.User == "" {
		o.User = "core"
	}
	home, _ := os.UserHomeDir()
	if o.KeyFile == "" {
		o.KeyFile = defaultKeyFile(home, pubKeyFile)
	} else if rest, ok := strings.CutPrefix(o.KeyFile, "~/"); ok {
		o.KeyFile = filepath.Join(home, rest)
	}
	if o.Port == 0 {
		o.Port = 22
	}
	if o.KnownHosts == "" {
		o.KnownHosts = filepath.Join(stateDir, "ssh_known_hosts")
	}
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	return o
}

// defaultKeyFile is the private half of the spec's public key when it sits
// beside it, else the first private key ssh itself would try.
func defaultKeyFile(home, pubKeyFile string) string {
	if private, ok := strings.CutSuffix(pubKeyFile, ".pub"); ok && exists(private) {
		return private
	}
	candidates := []string{"id_ed25519", "id_ecdsa", "id_rsa"}
	for _, name := range candidates {
		if path := filepath.Join(home, ".ssh", name); exists(path) {
			return path
		}
	}
	return filepath.Join(home, ".ssh", candidates[0])
}

// remote is one SSH connection to a master.
type remote struct {
	name   string // the node's name, for messages
	addr   string
	client *ssh.Client
}

// dialSSH logs in to ip with o (already defaulted).
func dialSSH(ctx context.Context, name, ip string, o SSHOptions, logf func(string, ...any)) (*remote, error) {
	auth, err := sshAuth(o.KeyFile)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(o.Port))
	cfg := &ssh.ClientConfig{User: o.User, Auth: auth, Timeout: o.Timeout,
		HostKeyCallback: trustOnFirstUse(o.KnownHosts, logf)}
	d := net.Dialer{Timeout: o.Timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to reach %s (%s) over SSH: %w", name, addr, err)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("failed to log in to %s as %s@%s with %s: %w", name, o.User, addr, o.KeyFile, err)
	}
	return &remote{name: name, addr: addr, client: ssh.NewClient(c, chans, reqs)}, nil
}

// sshAuth offers the key file's key and the agent's keys.
func sshAuth(keyFile string) ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	var keyErr error
	if pem, err := os.ReadFile(keyFile); err != nil {
		keyErr = fmt.Errorf("failed to read the SSH key %s: %w (pass --ssh-key)", keyFile, err)
	} else if signer, err := ssh.ParsePrivateKey(pem); err != nil {
		keyErr = fmt.Errorf("failed to read the SSH key %s: %w (a key with a passphrase needs ssh-agent)", keyFile, err)
	} else {
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			methods = append(methods, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		}
	}
	if len(methods) == 0 {
		return nil, keyErr
	}
	return methods, nil
}

var knownHostsMu sync.Mutex

// trustOnFirstUse accepts a host key recorded in file (or the user's
// known_hosts), records an unknown host's key, and refuses a changed one.
func trustOnFirstUse(file string, logf func(string, ...any)) ssh.HostKeyCallback {
	return func(host string, addr net.Addr, key ssh.PublicKey) error {
		knownHostsMu.Lock()
		defer knownHostsMu.Unlock()
		files := []string{file}
		if home, err := os.UserHomeDir(); err == nil && exists(filepath.Join(home, ".ssh", "known_hosts")) {
			files = append(files, filepath.Join(home, ".ssh", "known_hosts"))
		}
		if err := touch(file); err != nil {
			return err
		}
		check, err := knownhosts.New(files...)
		if err != nil {
			return fmt.Errorf("failed to read known hosts: %w", err)
		}
		err = check(host, addr, key)
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) || len(ke.Want) > 0 {
			if err != nil {
				return fmt.Errorf("%w: the host key of %s is not the one recorded in %s; if the machine was reinstalled, remove its line there", err, host, file)
			}
			return nil
		}
		line := knownhosts.Line([]string{knownhosts.Normalize(host)}, key) + "\n"
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("failed to record the host key of %s: %w", host, err)
		}
		defer f.Close()
		if _, err := f.WriteString(line); err != nil {
			return fmt.Errorf("failed to record the host key of %s: %w", host, err)
		}
		logf("recorded the SSH host key of %s (%s) in %s", host, ssh.FingerprintSHA256(key), file)
		return nil
	}
}

func touch(file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func (r *remote) Close() error { return r.client.Close() }

// run runs a shell command on the machine with stdin and stdout as given;
// its error carries the command and the end of its standard error.
func (r *remote) run(ctx context.Context, cmd string, stdin io.Reader, stdout io.Writer) error {
	s, err := r.client.NewSession()
	if err != nil {
		return fmt.Errorf("failed to open an SSH session on %s: %w", r.name, err)
	}
	defer s.Close()
	var stderr tailBuffer
	s.Stdin, s.Stdout, s.Stderr = stdin, stdout, &stderr
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGTERM)
		s.Close()
		return fmt.Errorf("%s on %s: %w", cmd, r.name, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("%s on %s failed: %w\n%s", cmd, r.name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// output runs cmd and returns its standard output.
func (r *remote) output(ctx context.Context, cmd string) (string, error) {
	var out bytes.Buffer
	err := r.run(ctx, cmd, nil, &out)
	return out.String(), err
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
