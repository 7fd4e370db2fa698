# okdctl: build, tools, tests, demo. Run `make help` for the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
GO ?= go
BIN := $(CURDIR)/bin
# Debian packages of the programs a bastion runs besides okdctl (which serves etcd, CoreDNS and
# the registry itself), and the clients the tests use.
# bind9 and dnsmasq-base stand in for a site's existing DNS server (spec.dns.external / manual);
# etcd-server is test-only: the etcd 3.4 an existing bastion ran, whose data okdctl takes over;
# chrony: verify reads the clock offset with chronyc (the test runs its own chronyds, clock untouched).
APT_PACKAGES := haproxy nginx-light dnsutils skopeo curl systemd bind9 dnsmasq-base etcd-server chrony
# what builds and boots the real-bastion root file system (internal/realhost)
APT_PACKAGES += systemd-container debootstrap zstd
# the PXE rehearsal's virtual machines (internal/vmnode): QEMU with iPXE's NIC ROMs and OVMF (UEFI), iPXE's
# BIOS/UEFI binaries the bastion serves over TFTP, and busybox for the machines' initramfs
APT_PACKAGES += qemu-system-x86 ipxe-qemu ipxe busybox-static ovmf
# a site's own PXE infrastructure in that rehearsal (loading `okdctl boot -o pxe|grub`'s files): pxelinux's
# lpxelinux.0 and ldlinux.c32, Debian's signed GRUB network image (grubnetx64.efi) and GRUB's modules
APT_PACKAGES += pxelinux syslinux-common grub-efi-amd64-signed grub-efi-amd64-bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TEST_TIMEOUT ?= 30m

.PHONY: help build tools apt-tools test-modules rootfs vmkernel test unit e2e bench lint fmt fuzz demo demo-down clean

help:
	@echo "make demo   build okdctl, plan examples/lab.yaml, print its boot lines, apply examples/sandbox.yaml under ./.demo"
	@echo "make test   install the tools (make tools), then run every test"
	@echo "make tools  install or build every program the sandbox and the tests need (idempotent)"
	@echo "make vmkernel Debian's kernel for the PXE rehearsal's virtual machines (cached in /var/cache/okdctl-test/vm)"
	@echo "make rootfs the Debian bookworm root file system the real-bastion tests boot (cached in /var/cache/okdctl-test)"
	@echo "make e2e    rehearse the whole install in a sandbox (part of make test)"
	@echo "make bench  run the benchmarks"
	@echo "make lint   gofmt, go vet and staticcheck (pinned in tools/staticcheck)"
	@echo "make fuzz   fuzz the spec loader (FUZZTIME=10m)"

build: $(BIN)/okdctl $(BIN)/synthrelease $(BIN)/openshift-install-double

$(BIN)/okdctl: FORCE
	@mkdir -p $(BIN)
	$(GO) build -buildvcs=auto -o $(BIN)/okdctl ./cmd/okdctl   # okdctl version names its commit

$(BIN)/synthrelease: FORCE
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/synthrelease ./internal/synthrelease/cmd/synthrelease

# the openshift-install test double the sandbox example uses
$(BIN)/openshift-install-double: FORCE
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/openshift-install-double ./internal/fakeinstall

FORCE:

## tools: Debian packages, kube-apiserver from its Go module, and the Go modules whose files
## the tests read (the OpenShift CRD manifests of github.com/openshift/api: no package imports
## it, so go test does not fetch it, and the e2e tests run in a network namespace of their own)
tools: apt-tools $(BIN)/kube-apiserver test-modules

test-modules:
	$(GO) mod download github.com/openshift/api

apt-tools:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "Debian packages present: $(APT_PACKAGES)"; fi
	@# the packages start system services on install; okdctl runs its own
	@for s in nginx haproxy etcd named chrony; do $(SUDO) systemctl disable --now $$s >/dev/null 2>&1 || true; done

KUBE_VERSION := v1.34.4
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean

$(BIN)/kube-apiserver: tools/kube/go.mod tools/kube/go.sum
	@mkdir -p $(BIN)
	@echo "building kube-apiserver $(KUBE_VERSION) from tools/kube (about 5 minutes the first time)"
	cd tools/kube && $(GO) build -ldflags "$(KUBE_LDFLAGS)" -o $(BIN)/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver

## the real bastion: a debootstrap of Debian bookworm from this machine's apt mirror,
## cached as a tarball keyed by its package list (internal/realhost/packages.go), plus the layers
## with Debian's etcd-server, docker-registry and firewalld that TestRealBastionOps boots, and
## with systemd-resolved that TestRealBastionResolved boots
rootfs: apt-tools
	$(GO) run ./internal/realhost/cmd/mkrootfs

## the PXE rehearsal's kernel: Debian's linux-image-amd64, unpacked (not installed) into
## /var/cache/okdctl-test/vm/<version>/ with its e1000 module
vmkernel: apt-tools
	scripts/vmkernel.sh

## tests
test: tools rootfs vmkernel
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

unit:
	$(GO) test -count=1 -short ./...

# the whole install rehearsed in a sandbox (also part of make test)
e2e: tools rootfs vmkernel
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -v ./e2e/ 2>&1 | grep -E '^(=== RUN|--- |    --- |PASS|FAIL|ok )|_test.go:'

bench: tools
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

lint: $(BIN)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...

# staticcheck at the version pinned in tools/staticcheck
$(BIN)/staticcheck: tools/staticcheck/go.mod tools/staticcheck/go.sum
	@mkdir -p $(BIN)
	cd tools/staticcheck && $(GO) build -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck

fmt:
	gofmt -w $$(git ls-files '*.go')

FUZZTIME ?= 10m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./spec

## demo: the main job on a fresh machine
DEMO := $(CURDIR)/.demo
demo: tools build
	@bash scripts/demo.sh "$(BIN)/okdctl" "$(DEMO)"

demo-down:
	-$(BIN)/okdctl down -f examples/sandbox.yaml --root $(DEMO)

clean: demo-down
	rm -rf $(DEMO) $(BIN)/okdctl
