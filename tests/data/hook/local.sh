#!/usr/bin/env bash

# Runs at the end of a successful ./stack.sh (DevStack calls $TOP_DIR/local.sh when it is executable).
# A user's own post-install steps, kept byte for byte by `devstack-doctor hook install`.

set -o errexit -o xtrace

TOP_DIR=$(cd $(dirname "$0") && pwd)
source $TOP_DIR/openrc admin admin

# Let ping and ssh reach the instances of the demo project.
for rule in "icmp" "tcp --dst-port 22"; do
    openstack security group rule create --proto $rule default || true
done

# A smaller flavor for quick tests.
openstack flavor show m1.micro >/dev/null 2>&1 || \
    openstack flavor create --ram 128 --disk 1 --vcpus 1 m1.micro
