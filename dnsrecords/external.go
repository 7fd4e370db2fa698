package dnsrecords

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// External is an existing authoritative DNS server that okdctl keeps the
// cluster's records in through RFC 2136 dynamic updates signed with TSIG,
// instead of running etcd and CoreDNS itself.
type External struct {
	// Server is "host:port" (port 53 when left out).
	Server string
	// Zone is the forward zone the server is primary for: the cluster's
	// zone (<cluster>.<baseDomain>) or one above it (<baseDomain>).
	Zone string
	// ReverseZones are the in-addr.arpa / ip6.arpa zones it is primary for;
	// together they must cover every address that gets a PTR.
	ReverseZones []string
	Key          TSIGKey
	// Timeout bounds one exchange (default 10 s).
	Timeout time.Duration
}

// TSIGKey is the shared secret the server accepts updates and zone
// transfers with. The secret is never printed.
type TSIGKey struct {
	Name string
	// Algorithm is hmac-sha256 (default), hmac-sha1, hmac-sha224,
	// hmac-sha384 or hmac-sha512.
	Algorithm string
	// Secret is the base64 secret, as in a BIND key statement.
	Secret string
}

// Algorithms maps the TSIG algorithm names okdctl accepts to miekg/dns's.
var Algorithms = map[string]string{
	"hmac-sha1": dns.HmacSHA1, "hmac-sha224": dns.HmacSHA224, "hmac-sha256": dns.HmacSHA256,
	"hmac-sha384": dns.HmacSHA384, "hmac-sha512": dns.HmacSHA512,
}

// String shows the key without its secret.
func (k TSIGKey) String() string { return fmt.Sprintf("%s (%s)", k.name(), k.algorithmName()) }

func (k TSIGKey) name() string { return dns.Fqdn(strings.ToLower(k.Name)) }

func (k TSIGKey) algorithmName() string {
	a := strings.TrimSuffix(strings.ToLower(k.Algorithm), ".")
	if a == "" {
		return "hmac-sha256"
	}
	return a
}

func (k TSIGKey) algorithm() string { return Algorithms[k.algorithmName()] }

// OwnerText is the TXT record okdctl keeps beside every name it owns on an
// external server (the "heritage" convention of Kubernetes' external-dns).
// A name without it is never changed or deleted; it is written in the same
// update as the name's first record, guarded by "name not in use".
func (in Input) OwnerText() string {
	return "heritage=okdctl,okdctl/owner=" + strings.TrimSuffix(in.Zone(), ".")
}

// ZoneRecords are the records an ordinary authoritative server holds for
// the cluster: Records plus the *.apps wildcard.
func ZoneRecords(in Input) ([]Record, error) {
	records, err := Records(in)
	if err != nil {
		return nil, err
	}
	ip := netip.MustParseAddr(in.ingressIP()).Unmap()
	typ := TypeA
	if ip.Is6() {
		typ = TypeAAAA
	}
	records = append(records, Record{Name: "*.apps." + in.Zone(), Type: typ, Value: ip.String(), TTL: in.ttl()})
	sortRecords(records)
	return records, nil
}

// withDefaults checks the server's settings and fills the defaults.
func (e External) withDefaults() (External, error) {
	var problems []string
	if e.Server == "" {
		problems = append(problems, "no server address")
	} else if _, _, err := net.SplitHostPort(e.Server); err != nil {
		e.Server = net.JoinHostPort(strings.Trim(e.Server, "[]"), "53")
	}
	if e.Zone == "" {
		problems = append(problems, "no forward zone")
	}
	e.Zone = dns.Fqdn(strings.ToLower(e.Zone))
	for i, z := range e.ReverseZones {
		e.ReverseZones[i] = dns.Fqdn(strings.ToLower(z))
		if !strings.HasSuffix(e.ReverseZones[i], ".in-addr.arpa.") && !strings.HasSuffix(e.ReverseZones[i], ".ip6.arpa.") {
			problems = append(problems, fmt.Sprintf("the reverse zone %q is not under in-addr.arpa or ip6.arpa", z))
		}
	}
	if e.Key.Name == "" {
		problems = append(problems, "no TSIG key name")
	}
	if e.Key.algorithm() == "" {
		problems = append(problems, fmt.Sprintf("the TSIG algorithm %q is not one of hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512", e.Key.Algorithm))
	}
	if _, err := base64.StdEncoding.DecodeString(e.Key.Secret); err != nil || e.Key.Secret == "" {
		problems = append(problems, "the TSIG secret is not base64 (the secret of a BIND key statement, as tsig-keygen prints it)")
	}
	if e.Timeout <= 0 {
		e.Timeout = 10 * time.Second
	}
	if len(problems) > 0 {
		return e, fmt.Errorf("the external DNS server settings are incomplete: %s", strings.Join(problems, "; "))
	}
	return e, nil
}

// zones are the forward and reverse zones, longest first (so the first
// match of a name is its zone).
func (e External) zones() []string {
	zs := append([]string{e.Zone}, e.ReverseZones...)
	slices.SortStableFunc(zs, func(a, b string) int { return dns.CountLabel(b) - dns.CountLabel(a) })
	return slices.Compact(zs)
}

func (e External) zoneOf(name string) string {
	for _, z := range e.zones() {
		if dns.IsSubDomain(z, name) {
			return z
		}
	}
	return ""
}

// keyStatement finds the algorithm and secret of a BIND key statement
// (as tsig-keygen prints it).
var (
	keySecretRE    = regexp.MustCompile(`secret\s+"([^"]+)"`)
	keyAlgorithmRE = regexp.MustCompile(`algorithm\s+"?([A-Za-z0-9-]+)"?`)
	keyNameRE      = regexp.MustCompile(`key\s+"([^"]+)"`)
)

// ReadTSIGKey reads a TSIG secret file: the bare base64 secret, or a BIND
// key statement (`tsig-keygen NAME > FILE`), whose name and algorithm then
// fill k's empty fields. The file must not be readable by group or others.
func ReadTSIGKey(path string, k TSIGKey) (TSIGKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return k, fmt.Errorf("failed to read the TSIG secret file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return k, fmt.Errorf("the TSIG secret file %s is readable by others (mode %04o): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return k, fmt.Errorf("failed to read the TSIG secret file: %w", err)
	}
	text := string(data)
	if m := keySecretRE.FindStringSubmatch(text); m != nil {
		k.Secret = m[1]
		if a := keyAlgorithmRE.FindStringSubmatch(text); a != nil && k.Algorithm == "" {
			k.Algorithm = a[1]
		}
		if n := keyNameRE.FindStringSubmatch(text); n != nil && k.Name == "" {
			k.Name = n[1]
		}
	} else {
		k.Secret = strings.TrimSpace(text)
	}
	if _, err := base64.StdEncoding.DecodeString(k.Secret); err != nil || k.Secret == "" {
		return k, fmt.Errorf("the TSIG secret file %s holds no base64 secret (write the secret alone, or the key statement tsig-keygen prints)", path)
	}
	return k, nil
}
