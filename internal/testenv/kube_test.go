package testenv

import (
	"context"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestStartKube(t *testing.T) {
	k := StartKube(t, KubeOptions{Users: []KubeUser{{Name: "someone", Groups: []string{"people"}}}})
	ctx := context.Background()
	v, err := Clientset(t, k.AdminConfig()).Discovery().ServerVersion()
	if err != nil || v.GitVersion == "" {
		t.Fatalf("server version: %v %v", v, err)
	}
	t.Logf("kube-apiserver %s at %s", v.GitVersion, k.URL)
	cvs := schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "clusterversions"}
	if _, err := Dynamic(t, k.AdminConfig()).Resource(cvs).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("clusterversions: %v", err)
	}
	// The bootstrapper may create and list CSRs, but not read nodes.
	boot := Clientset(t, k.BootstrapperConfig())
	if _, err := boot.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("bootstrapper cannot list CSRs: %v", err)
	}
	if _, err := boot.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		t.Fatal("bootstrapper can list nodes")
	}
	who, err := Clientset(t, k.CertConfig(t, "system:node:n1.okd.example", "system:nodes")).
		AuthenticationV1().SelfSubjectReviews().Create(ctx, &authv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || who.Status.UserInfo.Username != "system:node:n1.okd.example" {
		t.Fatalf("client certificate identity: %+v %v", who, err)
	}
	if _, err := Clientset(t, k.UserConfig(t, "someone")).CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		t.Fatal("an unbound user can list nodes")
	}
}
