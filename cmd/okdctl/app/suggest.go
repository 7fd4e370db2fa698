package app

import (
	"strings"
)

// suggest is a command okdctl tells the user to run next, carrying the
// flags of this run (-f, --root, --sandbox, --kubeconfig), so that copying
// it acts on the same spec and the same state.
func (f *specFlags) suggest(verb string, extra ...string) string {
	args := append([]string{"okdctl"}, strings.Fields(verb)...)
	if f.file != "" {
		args = append(args, "-f", f.file)
	}
	if f.root != "" {
		args = append(args, "--root", f.root)
	}
	if f.sandbox && sandboxVerbs[strings.Fields(verb)[0]] {
		args = append(args, "--sandbox")
	}
	if f.kubeconfig != "" && kubeconfigVerbs[strings.Fields(verb)[0]] {
		args = append(args, "--kubeconfig", f.kubeconfig)
	}
	args = append(args, extra...)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// sandboxVerbs are the commands whose --sandbox changes what they do.
var sandboxVerbs = map[string]bool{"apply": true, "plan": true, "etcd": true, "add-node": true, "approve-csrs": true}

// kubeconfigVerbs are the commands that talk to the cluster.
var kubeconfigVerbs = map[string]bool{"apply": true, "certs": true, "approve-csrs": true, "add-node": true, "etcd": true}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
