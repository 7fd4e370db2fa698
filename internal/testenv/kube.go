package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The node bootstrapper identity OpenShift's ignition gives kubelets for
// their first client CSR.
const NodeBootstrapperUser = "system:serviceaccount:openshift-machine-config-operator:node-bootstrapper"

// NodeBootstrapperGroups are that identity's groups, exactly.
var NodeBootstrapperGroups = []string{
	"system:serviceaccounts:openshift-machine-config-operator", "system:serviceaccounts", "system:authenticated",
}

// KubeUser is a token identity in kube-apiserver's --token-auth-file.
type KubeUser struct {
	// ID names the token for UserConfig (default Name), so that one user
	// name can have several tokens with different groups.
	ID     string
	Name   string
	Groups []string
}

// KubeOptions configures StartKube.
type KubeOptions struct {
	// Users are token identities besides "admin" (system:masters) and the
	// node bootstrapper, which are always there.
	Users []KubeUser
	// ServiceCIDR is --service-cluster-ip-range (default 172.30.0.0/16).
	ServiceCIDR string
	// NoCRDs skips loading the OpenShift CRDs.
	NoCRDs bool
	// BindIP and Port place the API server (default 127.0.0.1 and a free
	// port), e.g. on a simulated master's address behind HAProxy.
	BindIP string
	Port   int
	// SANs are extra DNS names and IP addresses for the serving certificate.
	SANs []string
}

// Kube is a real kube-apiserver (with its own etcd) on loopback, with token
// authentication, Node+RBAC authorization and the OpenShift CRDs loaded.
type Kube struct {
	URL string
	Dir string
	// CA issued the serving certificate and is the client CA; it also signs
	// approved CSRs for tests (kube-apiserver has no signer of its own).
	CA *CA
	// Kubeconfig is an admin kubeconfig file.
	Kubeconfig string
	Proc       *Process
	tokens     map[string]string
}

// StartKube starts etcd and kube-apiserver for the test's lifetime and
// waits until the API is ready (about 10-30 s on a busy machine).
func StartKube(t testing.TB, o KubeOptions) *Kube {
	t.Helper()
	bin := Binary(t, "kube-apiserver")
	etcd := StartEtcd(t)
	if o.ServiceCIDR == "" {
		o.ServiceCIDR = "172.30.0.0/16"
	}
	dir := t.TempDir()
	k := &Kube{Dir: dir, CA: NewCA(t, "okdctl-test-kube-ca"), tokens: map[string]string{}}
	if o.BindIP == "" {
		o.BindIP = "127.0.0.1"
	}
	port := o.Port
	if port == 0 {
		port = FreePort(t, o.BindIP)
	}
	k.URL = fmt.Sprintf("https://%s", net.JoinHostPort(o.BindIP, fmt.Sprint(port)))
	args := k.writeFiles(t, o)
	args = append(args, "--etcd-servers="+etcd.Endpoint,
		fmt.Sprintf("--secure-port=%d", port), "--bind-address="+o.BindIP, "--advertise-address="+o.BindIP,
		"--authorization-mode=Node,RBAC", "--service-cluster-ip-range="+o.ServiceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc", "--api-audiences=https://kubernetes.default.svc",
		"--endpoint-reconciler-type=none", "--profiling=false", "--v=0")
	k.Proc = Start(t, bin, args...)
	k.waitReady(t, 120*time.Second)
	k.Kubeconfig = k.writeKubeconfig(t, "admin")
	k.grantBootstrapper(t)
	if !o.NoCRDs {
		LoadOpenShiftCRDs(t, k.AdminConfig())
	}
	return k
}

// writeFiles writes certificates, keys and the token file; it returns the flags naming them.
func (k *Kube) writeFiles(t testing.TB, o KubeOptions) []string {
	t.Helper()
	caFile := filepath.Join(k.Dir, "ca.crt")
	writeFile(t, caFile, k.CA.CertPEM, 0o644)
	names := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
	ips := []net.IP{net.ParseIP("127.0.0.1")}
	if o.BindIP != "" && o.BindIP != "127.0.0.1" {
		ips = append(ips, net.ParseIP(o.BindIP))
	}
	for _, san := range o.SANs {
		if ip := net.ParseIP(san); ip != nil {
			ips = append(ips, ip)
		} else {
			names = append(names, san)
		}
	}
	crt, key := k.CA.ServingCert(t, "kube-apiserver", names, ips)
	writeFile(t, filepath.Join(k.Dir, "serving.crt"), crt, 0o644)
	writeFile(t, filepath.Join(k.Dir, "serving.key"), key, 0o600)
	saPub, saKey := writeRSAKeyPair(t, k.Dir)
	users := append([]KubeUser{
		{Name: "admin", Groups: []string{"system:masters"}},
		{Name: NodeBootstrapperUser, Groups: NodeBootstrapperGroups},
	}, o.Users...)
	var lines []string
	for _, u := range users {
		tok := randomToken(t)
		if u.ID == "" {
			u.ID = u.Name
		}
		k.tokens[u.ID] = tok
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%q", tok, u.Name, u.Name, strings.Join(u.Groups, ",")))
	}
	tokens := filepath.Join(k.Dir, "tokens.csv")
	writeFile(t, tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	return []string{"--client-ca-file=" + caFile, "--token-auth-file=" + tokens,
		"--tls-cert-file=" + filepath.Join(k.Dir, "serving.crt"),
		"--tls-private-key-file=" + filepath.Join(k.Dir, "serving.key"),
		"--service-account-key-file=" + saPub, "--service-account-signing-key-file=" + saKey}
}

func (k *Kube) waitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	c, err := rest.HTTPClientFor(k.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if k.Proc.Exited() {
			t.Fatalf("kube-apiserver exited: %s\n%s", k.Proc.Cmd.ProcessState, tail(k.Proc.Log.String(), 3000))
		}
		resp, err := c.Get(k.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("kube-apiserver not ready within %s: %s\n%s", timeout, last, tail(k.Proc.Log.String(), 3000))
}

// AdminConfig is a client config for "admin" (group system:masters).
func (k *Kube) AdminConfig() *rest.Config { return k.tokenConfig(k.tokens["admin"]) }

// BootstrapperConfig is a client config for the node bootstrapper identity.
func (k *Kube) BootstrapperConfig() *rest.Config {
	return k.tokenConfig(k.tokens[NodeBootstrapperUser])
}

// UserConfig is a client config for a token user of KubeOptions.Users, by ID.
func (k *Kube) UserConfig(t testing.TB, id string) *rest.Config {
	t.Helper()
	tok, ok := k.tokens[id]
	if !ok {
		t.Fatalf("no token user %q: add it to KubeOptions.Users", id)
	}
	return k.tokenConfig(tok)
}

// CertConfig is a client config authenticating with a client certificate
// issued by the cluster CA for any user and groups (system:node:NAME,
// system:nodes for a kubelet).
func (k *Kube) CertConfig(t testing.TB, user string, groups ...string) *rest.Config {
	t.Helper()
	crt, key := k.CA.ClientCert(t, user, groups...)
	return k.CertPEMConfig(crt, key)
}

// CertPEMConfig is a client config using a PEM client certificate and key.
func (k *Kube) CertPEMConfig(certPEM, keyPEM []byte) *rest.Config {
	return &rest.Config{Host: k.URL, QPS: 200, Burst: 400,
		TLSClientConfig: rest.TLSClientConfig{CAData: k.CA.CertPEM, CertData: certPEM, KeyData: keyPEM}}
}

func (k *Kube) tokenConfig(tok string) *rest.Config {
	return &rest.Config{Host: k.URL, BearerToken: tok, QPS: 200, Burst: 400,
		TLSClientConfig: rest.TLSClientConfig{CAData: k.CA.CertPEM}}
}

// Clientset is a typed client for cfg; Dynamic a dynamic one.
func Clientset(t testing.TB, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Dynamic is a dynamic client for cfg.
func Dynamic(t testing.TB, cfg *rest.Config) dynamic.Interface {
	t.Helper()
	c, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeKubeconfig writes a kubeconfig for a token user, as openshift-install's auth/kubeconfig.
func (k *Kube) writeKubeconfig(t testing.TB, user string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: k.URL, CertificateAuthorityData: k.CA.CertPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: k.tokens[user]}
	cfg.Contexts[user] = &clientcmdapi.Context{Cluster: "test", AuthInfo: user}
	cfg.CurrentContext = user
	path := filepath.Join(k.Dir, "kubeconfig-"+user)
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// grantBootstrapper gives the node bootstrapper what OpenShift gives it:
// create, get, list and watch CSRs.
func (k *Kube) grantBootstrapper(t testing.TB) {
	t.Helper()
	k.GrantCSRCreate(t, NodeBootstrapperUser)
}

// GrantCSRCreate binds a user to the system:node-bootstrapper role (create,
// get, list and watch CSRs), as an impostor would need.
func (k *Kube) GrantCSRCreate(t testing.TB, user string) {
	t.Helper()
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "okdctl-test-csr-create-"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:node-bootstrapper"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}},
	}
	admin := Clientset(t, k.AdminConfig())
	_, err := admin.RbacV1().ClusterRoleBindings().Create(context.Background(), crb, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("failed to let %s create CSRs: %v", user, err)
	}
	// The RBAC authorizer answers from an informer: a binding just created
	// is not yet in force. Ask the authorizer itself until it is.
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "certificates.k8s.io",
			Resource: "certificatesigningrequests", Verb: "create"}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := admin.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
		if err == nil && got.Status.Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the binding letting %s create CSRs is not in force after 30s (err %v, status %+v)", user, err, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// EnsureNamespace creates a namespace if it does not exist.
func (k *Kube) EnsureNamespace(t testing.TB, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := Clientset(t, k.AdminConfig()).CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("failed to create namespace %s: %v", name, err)
	}
}

func randomToken(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
