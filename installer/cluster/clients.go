package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Clients are the typed (core, certificates) and dynamic (OpenShift types) clients.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
}

// NewClients builds both clients for one identity.
func NewClients(cfg *rest.Config) (*Clients, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create the dynamic client: %w", err)
	}
	return &Clients{Kube: kube, Dynamic: dyn}, nil
}

// LoadKubeconfig reads a kubeconfig file (openshift-install's auth/kubeconfig).
func LoadKubeconfig(path string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("failed to load kubeconfig %s: %w (run the ignition phase first, or pass --kubeconfig)", path, err)
	}
	cfg.QPS, cfg.Burst = ClientQPS, ClientBurst
	return cfg, nil
}

// okdctl's client limits: the 200 approval writes of 100 nodes joining at
// once (plus the approver's lists and watches) fit in one burst; the
// sustained rate stays 50 requests a second.
const (
	ClientQPS   = 50
	ClientBurst = 300
)

// The resources okdctl reads and changes.
var (
	configMapsGVR         = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	etcdsGVR              = schema.GroupVersionResource{Group: "operator.openshift.io", Version: "v1", Resource: "etcds"}
	authenticationsGVR    = schema.GroupVersionResource{Group: "operator.openshift.io", Version: "v1", Resource: "authentications"}
	ingressControllersGVR = schema.GroupVersionResource{Group: "operator.openshift.io", Version: "v1", Resource: "ingresscontrollers"}
	clusterVersionsGVR    = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "clusterversions"}
	routesGVR             = schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}
)
