#!/usr/bin/env bash
# make demo: what okdctl does, on one machine, touching nothing outside ./.demo.
#   1. validate and plan the seed's lab cluster (192.168.120.x: planned, never contacted)
#   2. print its boot lines for USB installs
#   3. apply the sandbox example (loopback addresses only) with every phase that works so far
#   4. apply it again: nothing changes
set -euo pipefail
okdctl=$1
demo=$2
cd "$(dirname "$0")/.."

# The phases that run end to end in the sandbox today; the list grows as phases land.
SANDBOX_PHASES=${SANDBOX_PHASES:-preflight,dns,registry,mirror}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "okdctl validate -f examples/lab.yaml"
"$okdctl" validate -f examples/lab.yaml

step "okdctl plan -f examples/lab.yaml   (dry run: touches nothing)"
"$okdctl" plan -f examples/lab.yaml

if "$okdctl" boot --help >/dev/null 2>&1; then
	step "okdctl boot -f examples/lab.yaml   (the lines to type at each node's boot prompt)"
	"$okdctl" boot -f examples/lab.yaml
fi

mkdir -p "$demo"
step "a synthetic OKD release in a loopback source registry (127.0.0.1:15001), to be mirrored"
"$(dirname "$okdctl")/synthrelease" --root "$demo" --addr 127.0.0.1:15001 --tag 4.16.0-0.okd-sandbox

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

printf '\nThe sandbox services keep running; stop them with: make demo-down\n'
