package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// Main runs okdctl with args and returns the exit status: 0 success, 1 failure.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// client-go's own logging would interleave with okdctl's output during
	// API outages; okdctl reports those errors itself
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		if logFormat(cmd) == "json" {
			printJSONError(stderr, err)
		} else {
			printError(stderr, err)
		}
		return 1
	}
	return 0
}

// Run builds the command tree and runs it.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// printError prints the one ERROR line, then any detail (a failed
// command's output) below it.
func printError(w io.Writer, err error) {
	msg := err.Error()
	var se interface{ Detail() string }
	if errors.As(err, &se) {
		msg = se.Detail()
	}
	first, rest, _ := strings.Cut(msg, "\n")
	fmt.Fprintf(w, "ERROR: %s\n", first)
	if rest != "" {
		fmt.Fprintf(w, "%s\n", strings.TrimRight(rest, "\n"))
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "okdctl",
		Short: "Stand up a bare-metal OKD / OpenShift 4 cluster from one spec",
		Long: `okdctl turns one cluster spec into a running bare-metal OKD / OpenShift 4
cluster (user-provisioned infrastructure). Run it on the bastion host: it
writes and starts the bastion services (DNS, load balancer, web server,
mirror registry), drives openshift-install, prints each node's boot line,
then waits for bootstrap, approves the nodes' certificates and finishes.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	for _, add := range []func() *cobra.Command{
		newInit, newValidate, newPlan, newApply, newStatus, newVerify, newDown,
	} {
		root.AddCommand(add())
	}
	root.AddCommand(newBoot())
	root.AddCommand(newApproveCSRs())
	root.AddCommand(newEtcd())
	root.AddCommand(newCerts())
	root.AddCommand(newAddNode())
	root.AddCommand(newServe())
	root.AddCommand(newVersion())
	addLogFormat(root)
	addExamples(root)
	// --version prints what `okdctl version` prints
	var v strings.Builder
	printVersion(&v, buildInfo())
	root.Version = buildInfo().Version
	root.SetVersionTemplate(strings.ReplaceAll(v.String(), "{{", "{{`{{`}}"))
	return root
}
