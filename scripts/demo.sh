#!/usr/bin/env bash
# make demo: what okdctl does, on one machine, touching nothing outside ./.demo.
#   1. validate and plan the seed's lab cluster (192.168.120.x: planned, never contacted)
#   2. print its boot lines for USB installs
#   3. apply the sandbox example (loopback addresses only) with every phase that works so far
#   4. apply it again: nothing changes
#   5. the whole install rehearsed against a real kube-apiserver (go test ./e2e/, a few minutes)
# Usage: demo.sh OKDCTL DEMO_DIR (make demo: bin/okdctl .demo); synthrelease and
# openshift-install-double are found beside OKDCTL.
# Environment:
#   SANDBOX_PHASES       the phases applied to the sandbox (default: all up to boot)
#   DEMO_SKIP_REHEARSAL  set to 1 to end before step 5 (e2e/quickstart's test of this script does)
set -euo pipefail
okdctl=$1
demo=$2
cd "$(dirname "$0")/.."

# The phases that run end to end in the sandbox today; the list grows as phases land.
# Bootstrap, approve, scale and complete need machines and a cluster: the
# demo ends with the rehearsal that provides both (make e2e).
SANDBOX_PHASES=${SANDBOX_PHASES:-preflight,dns,loadbalancer,registry,mirror,installconfig,manifests,ignition,http,boot}
# the test double of openshift-install reports the sandbox release
export FAKEINSTALL_VERSION=4.16.0-0.okd-sandbox

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "okdctl validate -f examples/lab.yaml"
"$okdctl" validate -f examples/lab.yaml

step "okdctl plan -f examples/lab.yaml --offline   (dry run: touches nothing, contacts nothing)"
# exit status 1 is expected here: this machine is not the lab's bastion
# (192.168.120.101) and has no openshift-install, so those phases would fail;
# --offline: the lab's release is on quay.io, which the demo never contacts
"$okdctl" plan -f examples/lab.yaml --offline || echo "(plan exit status $?: the phases marked WOULD FAIL need the lab's bastion)"

if "$okdctl" boot --help >/dev/null 2>&1; then
	step "okdctl boot -f examples/lab.yaml   (the lines to type at each node's boot prompt)"
	"$okdctl" boot -f examples/lab.yaml
fi

mkdir -p "$demo"
step "a synthetic OKD release in a loopback source registry (127.0.0.1:15001), to be mirrored"
# synthrelease prints the release by digest; the double reports it as the
# release it was built for, as openshift-install does for its own
FAKEINSTALL_RELEASE_IMAGE=$("$(dirname "$okdctl")/synthrelease" --root "$demo" --addr 127.0.0.1:15001 --tag 4.16.0-0.okd-sandbox)
echo "release by digest: $FAKEINSTALL_RELEASE_IMAGE"
export FAKEINSTALL_RELEASE_IMAGE

step "okdctl apply -f examples/sandbox.yaml --root $demo --sandbox --only $SANDBOX_PHASES"
"$okdctl" apply -f examples/sandbox.yaml --root "$demo" --sandbox --only "$SANDBOX_PHASES"

step "the same again: every phase is confirmed unchanged, nothing is rewritten or restarted"
"$okdctl" apply -f examples/sandbox.yaml --root "$demo" --sandbox --only "$SANDBOX_PHASES"

step "okdctl status -f examples/sandbox.yaml --root $demo"
"$okdctl" status -f examples/sandbox.yaml --root "$demo"

if [ -x scripts/demo-checks.sh ]; then
	step "checks against the running sandbox services"
	scripts/demo-checks.sh "$demo"
fi

step "okdctl boot w0 -f examples/sandbox.yaml --root $demo   (with the ignition hash, once ignition exists)"
"$okdctl" boot w0 -f examples/sandbox.yaml --root "$demo"

if [ "${DEMO_SKIP_REHEARSAL:-}" = 1 ]; then
	printf '\nDEMO_SKIP_REHEARSAL=1: the e2e rehearsal is skipped (make e2e runs it)\n'
else
	step "the whole install, every phase, against a real kube-apiserver and simulated nodes (the e2e rehearsal)"
	go test -count=1 -v -run '^TestRehearsal$' ./e2e/ 2>&1 | grep -E '^(--- |PASS|FAIL|ok )|rehearsal_test.go'
fi

printf '\nThe sandbox services under %s keep running; stop them with: make demo-down\n' "$demo"
