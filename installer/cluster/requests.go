package cluster

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync"

	certv1 "k8s.io/api/certificates/v1"
)

// requestCacheSize bounds the parsed requests kept: a burst of 100 nodes
// makes 200 CSRs; a long-running approver sees the cluster's CSRs come and
// go (kube-controller-manager deletes them after an hour or a day).
const requestCacheSize = 4096

// requestCache keeps each CSR's parsed and signature-checked PKCS#10
// request, keyed by the SHA-256 of the request's bytes: the outcome depends
// on those bytes only, so a CSR is parsed and verified once however often
// it is decided (its own event, its node's other CSRs', every pass), and
// outside the approver's lock. Safe for concurrent use; two workers that
// miss on the same request both parse it, and either result is the same.
type requestCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]parsedRequest
}

type parsedRequest struct {
	req *x509.CertificateRequest // read-only once cached
	err error
}

// parse is parseRequest through the cache.
func (c *requestCache) parse(csr *certv1.CertificateSigningRequest) (*x509.CertificateRequest, error) {
	key := sha256.Sum256(csr.Spec.Request)
	if p, ok := c.lookup(key); ok {
		return p.req, p.err
	}
	req, err := parseRequest(csr)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[sha256.Size]byte]parsedRequest{}
	}
	if len(c.m) >= requestCacheSize {
		for k := range c.m { // any one: a miss costs one parse
			delete(c.m, k)
			break
		}
	}
	c.m[key] = parsedRequest{req: req, err: err}
	return req, err
}

func (c *requestCache) lookup(key [sha256.Size]byte) (parsedRequest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[key]
	return p, ok
}

// peek returns the cached request, if any, without parsing.
func (c *requestCache) peek(csr *certv1.CertificateSigningRequest) (*x509.CertificateRequest, bool) {
	p, ok := c.lookup(sha256.Sum256(csr.Spec.Request))
	return p.req, ok && p.err == nil
}

// subjectNode is the node a CSR's verified subject names ("" when it does not).
func (c *requestCache) subjectNode(csr *certv1.CertificateSigningRequest) string {
	req, err := c.parse(csr)
	if err != nil {
		return ""
	}
	name, _ := subjectIsNode(req)
	return name
}

// csrNode is the node a CSR is for: the requester of a serving CSR, the
// subject of a client CSR (unverified: only to group CSRs), or "". It runs
// in the informer's delivery goroutine for every event, so it reuses a
// verified parse when there is one and never checks a signature itself.
func (c *requestCache) csrNode(r *certv1.CertificateSigningRequest) string {
	switch r.Spec.SignerName {
	case certv1.KubeletServingSignerName:
		if strings.HasPrefix(r.Spec.Username, NodeUserPrefix) {
			return strings.TrimPrefix(r.Spec.Username, NodeUserPrefix)
		}
	case certv1.KubeAPIServerClientKubeletSignerName:
		req, ok := c.peek(r)
		if !ok {
			block, _ := pem.Decode(r.Spec.Request)
			if block == nil {
				return ""
			}
			var err error
			if req, err = x509.ParseCertificateRequest(block.Bytes); err != nil {
				return ""
			}
		}
		if strings.HasPrefix(req.Subject.CommonName, NodeUserPrefix) {
			return strings.TrimPrefix(req.Subject.CommonName, NodeUserPrefix)
		}
	}
	return ""
}
