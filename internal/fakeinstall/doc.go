// Command fakeinstall is the test double of openshift-install. It honours
// the command-line contract okdctl relies on and writes realistic outputs:
//
//	openshift-install version
//	openshift-install coreos print-stream-json
//	openshift-install create manifests --dir DIR
//	openshift-install create ignition-configs --dir DIR
//
// `create manifests` consumes (deletes) DIR/install-config.yaml and writes
// manifests/, openshift/ and .openshift_install_state.json;
// `create ignition-configs` consumes the manifests (or makes them, or reads
// them back from the state file after an interrupted run) and writes
// bootstrap.ign (Ignition 3.x embedding certificates valid 24 h),
// master.ign and worker.ign (pointer configs to the machine config server
// with the root CA), auth/kubeconfig, auth/kubeadmin-password (0600) and
// metadata.json. A missing or malformed install-config fails as the real one
// does, with exit status 1 and a level=fatal line on stderr.
//
// Environment (tests only):
//
//	FAKEINSTALL_VERSION     the version printed and built for (default 4.15.0-0.okd-2024-03-10-010116);
//	                        its x.y and "okd" pick the CoreOS stream print-stream-json prints
//	FAKEINSTALL_RELEASE_IMAGE  the release image it was built for (default quay.io/openshift/okd@sha256:5e5e...);
//	                        set another version or image to play a binary of another release
//	FAKEINSTALL_NOW         RFC 3339 time used as the clock for certificates
//	FAKEINSTALL_API_SERVER  the kubeconfig's server (default https://api.<cluster>.<domain>:6443)
//	FAKEINSTALL_KUBECONFIG  a kubeconfig file copied as auth/kubeconfig instead
//	FAKEINSTALL_FAIL        "manifests" or "ignition-configs": fail that command after consuming its input
//	FAKEINSTALL_HANG        stop (sleep until killed) at one step: manifests:consumed,
//	                        ignition-configs:saved, ignition-configs:consumed or ignition-configs:writing
//	FAKEINSTALL_HANG_FILE   where the step is written when the double stops there
//
// `create ignition-configs` works in the real installer's order: it saves
// the state file (keeping the consumed manifests, the PKI and the configs),
// deletes the manifests, then writes the outputs; run again in the same
// directory after a kill at any step, it makes the same ignition with the
// same root CA.
package main
