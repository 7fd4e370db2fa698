// Command okdctl stands up a bare-metal OKD / OpenShift 4 cluster from one
// cluster spec, run on the bastion host.
package main
