package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"
)

// keyPair is a certificate and its key, PEM-encoded.
type keyPair struct {
	Cert, Key []byte
	cert      *x509.Certificate
	signer    crypto.Signer
}

// Validity of openshift-install's certificates: signers for years, the
// bootstrap's short-lived ones for 24 hours.
const (
	longLived  = 10 * 365 * 24 * time.Hour
	shortLived = 24 * time.Hour
)

func selfSigned(cn string, now time.Time) (*keyPair, error) {
	return issue(nil, cn, []string{"openshift"}, now, longLived, true, false)
}

// issue makes a certificate signed by ca (self-signed when ca is nil).
func issue(ca *keyPair, cn string, org []string, now time.Time, valid time.Duration, isCA, client bool) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Organization: org},
		NotBefore: now, NotAfter: now.Add(valid), BasicConstraintsValid: true, IsCA: isCA,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	parent, signer := tmpl, crypto.Signer(key)
	if ca != nil {
		parent, signer = ca.cert, ca.signer
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &keyPair{
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		cert: cert, signer: key,
	}, nil
}

// clusterPKI is the part of openshift-install's PKI the double embeds.
type clusterPKI struct {
	RootCA        *keyPair // 10 years: in the pointer configs
	AdminSigner   *keyPair
	Admin         *keyPair // system:admin client certificate of auth/kubeconfig
	KubeletSigner *keyPair // 24 h
	APIServerLB   *keyPair // 24 h
}

func newPKI(domain string, now time.Time) (*clusterPKI, error) {
	p := &clusterPKI{}
	var err error
	if p.RootCA, err = selfSigned("root-ca", now); err != nil {
		return nil, err
	}
	if p.AdminSigner, err = selfSigned("admin-kubeconfig-signer", now); err != nil {
		return nil, err
	}
	if p.Admin, err = issue(p.AdminSigner, "system:admin", []string{"system:masters"}, now, longLived, false, true); err != nil {
		return nil, err
	}
	if p.KubeletSigner, err = issue(nil, "kubelet-signer", []string{"openshift"}, now, shortLived, true, false); err != nil {
		return nil, err
	}
	if p.APIServerLB, err = issue(p.RootCA, "api."+domain, []string{"kube-master"}, now, shortLived, false, false); err != nil {
		return nil, err
	}
	return p, nil
}
