package cluster

import (
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
)

// tampered is csr with one byte of its request's signed part changed, so
// that the request still parses but its signature does not verify.
func tampered(t *testing.T, csr *certv1.CertificateSigningRequest) *certv1.CertificateSigningRequest {
	t.Helper()
	block, _ := pem.Decode(csr.Spec.Request)
	der := append([]byte(nil), block.Bytes...)
	i := strings.Index(string(der), "system:node:")
	if i < 0 {
		t.Fatal("no subject in the request")
	}
	der[i+len("system:node:")] ^= 1 // m0... -> l0...: still a valid name, no longer signed
	c := csr.DeepCopy()
	c.Spec.Request = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	return c
}

// TestRequestCache: a request is parsed and verified once and the verdict
// reused, a request whose signature does not verify stays refused (and is
// never offered as a parse to group by), and the cache is bounded.
func TestRequestCache(t *testing.T) {
	t.Parallel()
	now := time.Now()
	good := clientCSR(t, "csr-good", "m0.okd.example", now)
	bad := tampered(t, good)
	var c requestCache
	first, err := c.parse(good)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	again := good.DeepCopy() // another version of the same CSR (approved, new resourceVersion)
	again.ResourceVersion = "2"
	if second, err := c.parse(again); err != nil || second != first {
		t.Fatalf("second parse of the same request: %p, %v; want the cached %p", second, err, first)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.parse(bad); err == nil || !strings.Contains(err.Error(), "signature does not verify") {
			t.Fatalf("tampered request, try %d: %v; want a signature error", i, err)
		}
	}
	if n := c.subjectNode(bad); n != "" {
		t.Fatalf("subjectNode of a tampered request = %q, want none", n)
	}
	if n := c.subjectNode(good); n != "m0.okd.example" {
		t.Fatalf("subjectNode = %q", n)
	}
	if n := c.csrNode(bad); n != "l0.okd.example" { // grouping only: the unverified subject
		t.Fatalf("csrNode of a tampered request = %q", n)
	}
	// The rules refuse it through the cache too.
	inv := newInventory(t, []Node{{Name: "l0", FQDN: "l0.okd.example", IP: "127.0.0.10"}})
	v := &view{inv: inv, nodes: map[string]bool{}, now: now, maxClientAge: time.Hour, clientApproved: map[string]string{}, requests: &c}
	if d := v.evaluate(bad); d.Approve || !strings.Contains(d.Reason, "signature does not verify") {
		t.Fatalf("tampered client CSR: %+v", d)
	}
}

func TestRequestCacheBounded(t *testing.T) {
	t.Parallel()
	var c requestCache
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < requestCacheSize/4+10; i++ {
				csr := &certv1.CertificateSigningRequest{}
				csr.Spec.Request = []byte(fmt.Sprintf("not a request %d/%d", w, i))
				if _, err := c.parse(csr); err == nil {
					t.Error("a junk request parsed")
					return
				}
			}
		}()
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.m); n > requestCacheSize {
		t.Fatalf("%d requests cached, more than %d", n, requestCacheSize)
	}
}

// BenchmarkDecideClientCSR: the CPU one decision on a client CSR costs,
// with the request parsed and verified each time (as before the cache) and
// through the cache.
func BenchmarkDecideClientCSR(b *testing.B) {
	now := time.Now()
	csr := clientCSR(b, "csr", "m0.okd.example", now)
	inv := newInventory(b, []Node{{Name: "m0", FQDN: "m0.okd.example", IP: "127.0.0.10"}})
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("cached=%t", cached), func(b *testing.B) {
			v := &view{inv: inv, nodes: map[string]bool{}, now: now, maxClientAge: time.Hour, clientApproved: map[string]string{}}
			if cached {
				v.requests = &requestCache{}
			}
			for i := 0; i < b.N; i++ {
				if d := v.evaluate(csr); !d.Approve {
					b.Fatal(d.Reason)
				}
			}
		})
	}
}
