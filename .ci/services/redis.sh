#!/usr/bin/env bash
# Redis for robit-redis: installs Debian's redis-server when missing and makes sure one Redis answers
# on 127.0.0.1:6379. Idempotent. The fault, wait, cluster and security ITs need only the binary: they
# start their own redis-server processes on free loopback ports (RedisSecurityIT needs one built with
# TLS, as Debian's is: checked below). The Sentinel ITs run `redis-server --sentinel` (the same binary)
# and the Cluster ITs use `redis-cli --cluster create` (redis-tools).
set -euo pipefail
. "$(dirname "$0")/../lib/packages.sh"

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  install_packages redis-server redis-tools
fi
redis-server --version
if command -v strings >/dev/null 2>&1 && ! strings "$(command -v redis-server)" | grep tls-port >/dev/null; then
  echo "warning: this redis-server has no TLS support (tls-port); RedisSecurityIT will fail" >&2
fi

up() { [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == "PONG" ]]; }

if ! up; then
  # Prefer the packaged service; fall back to a plain background server (no persistence).
  service redis-server start >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do up && break; sleep 0.5; done
fi
if ! up; then
  mkdir -p /tmp/robit-ci-redis
  setsid nohup redis-server --port 6379 --bind 127.0.0.1 --save "" --appendonly no --dir /tmp/robit-ci-redis \
    >/tmp/robit-ci-redis/redis.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do up && break; sleep 0.5; done
fi
if up; then
  echo "redis is up on 127.0.0.1:6379"
else
  echo "redis did not come up on 127.0.0.1:6379" >&2
  exit 1
fi
