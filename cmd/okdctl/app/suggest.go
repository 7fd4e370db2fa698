package app

import (
	"errors"
	"regexp"
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

// suggestionRE finds the okdctl commands a message suggests ("okdctl apply
// --only dns", "`okdctl apply --force manifests`").
var suggestionRE = regexp.MustCompile(`okdctl (apply|plan|status|down|boot|certs|verify|etcd backup|etcd restore|approve-csrs|add-node)\b( -f\b)?`)

// withFlags adds this run's -f, --root and --sandbox to every okdctl
// command a message suggests (those that carry -f already are left alone).
func (f *specFlags) withFlags(msg string) string {
	if f.file == "" && f.root == "" {
		return msg
	}
	return suggestionRE.ReplaceAllStringFunc(msg, func(m string) string {
		if strings.HasSuffix(m, " -f") {
			return m
		}
		return f.suggest(strings.TrimPrefix(m, "okdctl "))
	})
}

// suggestingError is an error whose suggested commands carry the run's flags.
type suggestingError struct {
	err error
	f   *specFlags
}

func (e suggestingError) Error() string { return e.f.withFlags(e.err.Error()) }
func (e suggestingError) Unwrap() error { return e.err }

// Detail keeps a wrapped error's detail (a failed command's output).
func (e suggestingError) Detail() string {
	var se interface{ Detail() string }
	if errors.As(e.err, &se) {
		return e.f.withFlags(se.Detail())
	}
	return e.Error()
}

// suggesting wraps err (nil stays nil).
func (f *specFlags) suggesting(err error) error {
	if err == nil {
		return nil
	}
	return suggestingError{err: err, f: f}
}
