#!/usr/bin/env bash
# Checks a person would make by hand against the sandbox services that
# `make demo` started, with the ordinary clients (dig, curl). Loopback only.
set -uo pipefail
demo=$1
state="$demo/var/lib/okdctl/sandbox"
dns="@127.0.1.1 -p 15353"
fail=0
check() { # description, command...
	local what=$1; shift
	if out=$("$@" 2>&1); then
		printf '  \xe2\x9c\x93 %s\n' "$what"
	else
		printf '  \xe2\x9c\x97 %s\n%s\n' "$what" "$out" | sed 's/^/    /'
		fail=1
	fi
}
expect() { # want, command...: the command's output contains want
	local want=$1; shift
	local got; got=$("$@" 2>&1) || true
	[[ "$got" == *"$want"* ]] || { echo "want '$want', got: $got"; return 1; }
}
echo "DNS (dig against CoreDNS answering from etcd):"
check "api.sandbox.okd.test A 127.0.1.1" expect 127.0.1.1 dig +short $dns api.sandbox.okd.test
check "api-int.sandbox.okd.test A 127.0.1.1" expect 127.0.1.1 dig +short $dns api-int.sandbox.okd.test
check "console-openshift-console.apps.sandbox.okd.test A 127.0.1.1 (wildcard)" expect 127.0.1.1 dig +short $dns console-openshift-console.apps.sandbox.okd.test
check "m0.sandbox.okd.test A 127.0.1.3" expect 127.0.1.3 dig +short $dns m0.sandbox.okd.test
check "127.0.1.3 PTR m0.sandbox.okd.test." expect m0.sandbox.okd.test. dig +short $dns -x 127.0.1.3
check "nope.sandbox.okd.test NXDOMAIN" expect NXDOMAIN dig $dns nope.sandbox.okd.test
if [ -f "$state/pki/ca.crt" ]; then
	echo "Mirror registry (curl with okdctl's CA):"
	resolve="--resolve registry.sandbox.okd.test:15000:127.0.1.1"
	check "anonymous access refused (401)" expect 401 curl -s -o /dev/null -w '%{http_code}' --cacert "$state/pki/ca.crt" $resolve https://registry.sandbox.okd.test:15000/v2/
	check "TLS verified by name against okdctl's CA" curl -sS -o /dev/null --cacert "$state/pki/ca.crt" $resolve https://registry.sandbox.okd.test:15000/v2/
	check "TLS verified by IP against okdctl's CA" curl -sS -o /dev/null --cacert "$state/pki/ca.crt" https://127.0.1.1:15000/v2/
	check "the password file is 0600" expect 600 stat -c %a "$state/registry/password"
	check "the pull secret is 0600" expect 600 stat -c %a "$state/pull-secret.json"
fi
ports=$(sed -n 's/^ *ports: *{\(.*\)}.*/\1/p;/^ *ports:/,/}/p' examples/sandbox.yaml | tr -d '\n ')
port() { echo "$ports" | grep -o "$1:[0-9]*" | head -1 | cut -d: -f2; }
echo "Load balancer (HAProxy):"
check "API listener accepts on 127.0.1.1:$(port api)" bash -c "exec 3<>/dev/tcp/127.0.1.1/$(port api)"
check "statistics page answers" expect 200 curl -s -o /dev/null -w '%{http_code}' "http://127.0.1.1:$(port stats)/"
if [ -f "$state/ignition/hashes.json" ]; then
	echo "Web server (nginx) for ignition and media:"
	base="http://127.0.1.1:$(port ignition)"
	want=$(sed -n 's/.*"m0": *"sha512-\([0-9a-f]*\)".*/\1/p' "$state/ignition/hashes.json")
	check "m0.ign served with the sha512 of its boot line" expect "$want" bash -c "curl -s $base/ignition/m0.ign | sha512sum"
	check "no directory listing of /ignition/" expect 40 curl -s -o /dev/null -w '%{http_code}' "$base/ignition/"
	check "nothing outside /ignition/ and /install/" expect 404 curl -s -o /dev/null -w '%{http_code}' "$base/auth/kubeconfig"
fi
exit $fail
