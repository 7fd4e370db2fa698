package haproxy

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// node is a stand-in cluster node on 127.0.1.x: a TLS server answering
// /readyz like a kube-apiserver (togglable) and naming itself on /, plus
// plain TCP listeners for machine config and ingress that echo its name.
type node struct {
	name  string
	ip    string
	ready atomic.Bool
}

// bindAll finds one port free on every ip and returns its listeners.
func bindAll(t *testing.T, ips ...string) (int, []net.Listener) {
	t.Helper()
	for try := 0; try < 50; try++ {
		first, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := first.Addr().(*net.TCPAddr).Port
		ls := []net.Listener{first}
		for _, ip := range ips[1:] {
			l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				break
			}
			ls = append(ls, l)
		}
		if len(ls) == len(ips) {
			for _, l := range ls {
				t.Cleanup(func() { l.Close() })
			}
			return port, ls
		}
		for _, l := range ls {
			l.Close()
		}
	}
	t.Fatalf("no port free on all of %v", ips)
	return 0, nil
}

// startNodes starts stand-in nodes and returns them with the node ports.
func startNodes(t *testing.T, names, ips []string) ([]*node, NodePorts) {
	t.Helper()
	var np NodePorts
	apiPort, apiLs := bindAll(t, ips...)
	np.API = apiPort
	var mcLs, httpLs, httpsLs []net.Listener
	np.MachineConfig, mcLs = bindAll(t, ips...)
	np.IngressHTTP, httpLs = bindAll(t, ips...)
	np.IngressHTTPS, httpsLs = bindAll(t, ips...)
	nodes := make([]*node, len(names))
	for i := range names {
		n := &node{name: names[i], ip: ips[i]}
		n.ready.Store(true)
		nodes[i] = n
		srv := httptest.NewUnstartedServer(http.HandlerFunc(n.serveAPI))
		srv.Listener.Close()
		srv.Listener = apiLs[i]
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // health checks hang up after the handshake
		srv.StartTLS()
		t.Cleanup(srv.Close)
		for _, l := range []net.Listener{mcLs[i], httpLs[i], httpsLs[i]} {
			go serveName(l, n.name)
		}
	}
	return nodes, np
}

func (n *node) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/readyz" {
		if !n.ready.Load() {
			http.Error(w, "[-]etcd failed: reason withheld", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
		return
	}
	io.WriteString(w, n.name)
}

func serveName(l net.Listener, name string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			io.WriteString(c, name+"\n")
			io.Copy(io.Discard, c)
		}()
	}
}

// apiConn is one kept-alive TLS connection through the load balancer.
type apiConn struct {
	c *tls.Conn
	r *bufio.Reader
}

func dialAPI(addr string) (*apiConn, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return nil, err
	}
	return &apiConn{c: c, r: bufio.NewReader(c)}, nil
}

// get asks for / on the open connection and returns the answering node.
func (a *apiConn) get() (string, error) {
	_ = a.c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(a.c, "GET / HTTP/1.1\r\nHost: api\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(a.r, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// whoAnswers makes one fresh API request through addr.
func whoAnswers(addr string) (string, error) {
	a, err := dialAPI(addr)
	if err != nil {
		return "", err
	}
	defer a.c.Close()
	return a.get()
}

// serverStatus reads one server's status from the stats page's CSV.
func serverStatus(statsAddr, proxy, server string) (string, error) {
	resp, err := http.Get("http://" + statsAddr + "/;csv")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.Split(line, ",")
		if len(f) > 17 && f[0] == proxy && f[1] == server {
			return f[17], nil
		}
	}
	return "", fmt.Errorf("no server %s/%s on the stats page", proxy, server)
}
