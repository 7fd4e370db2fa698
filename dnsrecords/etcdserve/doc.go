// Package etcdserve runs the bastion's DNS etcd inside okdctl (`okdctl serve
// etcd`) with go.etcd.io/etcd/server/v3/embed: etcd's own flags with their
// own meaning, so an okdctl-etcd unit reads the same as one running
// /usr/bin/etcd, and a clean stop on cancel.
package etcdserve
