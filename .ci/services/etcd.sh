#!/usr/bin/env bash
# etcd for robit-etcd: installs Debian's etcd-server (etcd 3.4) when missing, and makes sure one etcd
# answers on 127.0.0.1:2379 (data on tmpfs). Idempotent. The robit-etcd ITs need only the binary: they
# start their own etcd on free loopback ports (set ETCD_BIN to use another binary).
set -euo pipefail
. "$(dirname "$0")/../lib/packages.sh"

if ! command -v etcd >/dev/null 2>&1 && [[ ! -x /usr/bin/etcd ]]; then
  install_packages etcd-server
fi
ETCD=$(command -v etcd || echo /usr/bin/etcd)
"$ETCD" --version | head -1

healthy() { curl -fsS --max-time 2 http://127.0.0.1:2379/health 2>/dev/null | grep -q '"health":"true"'; }

if ! healthy; then
  if ! command -v curl >/dev/null 2>&1; then
    install_packages curl
  fi
fi
if ! healthy; then
  data=/dev/shm/robit-ci-etcd
  [[ -d /dev/shm ]] || data=/tmp/robit-ci-etcd
  mkdir -p "$data"
  setsid nohup "$ETCD" --name robit-ci --data-dir "$data/data" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster robit-ci=http://127.0.0.1:2380 --logger zap --log-level warn \
    >"$data/etcd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    healthy && break
    sleep 0.5
  done
fi
if healthy; then
  echo "etcd is up on 127.0.0.1:2379"
else
  echo "etcd did not come up on 127.0.0.1:2379 (the robit-etcd tests start their own and need only the binary)" >&2
  [[ -x "$ETCD" ]]
fi
