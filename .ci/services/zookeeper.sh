#!/usr/bin/env bash
# ZooKeeper for robit-zookeeper: nothing to install or start. Its tests run an in-process
# ZooKeeper server (org.apache.curator:curator-test TestingServer, a real ZooKeeper 3.9 server
# with its data on disk) on a free 127.0.0.1 port, inside the test JVM. The ensemble ITs (issue 14)
# start three QuorumPeerMain JVMs from the ZooKeeper jar on the test class path (Maven), also on
# free loopback ports: nothing to install either.
set -euo pipefail
echo "zookeeper: the robit-zookeeper tests start an in-process ZooKeeper (curator-test); no service needed"
