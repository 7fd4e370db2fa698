// Package haproxy renders the bastion's HAProxy configuration (the API,
// machine config and ingress load balancer of a UPI cluster), checks a
// candidate with `haproxy -c` before it replaces the live one, reloads the
// master-worker process without dropping connections, and removes the
// bootstrap backends when bootstrap completes.
package haproxy
