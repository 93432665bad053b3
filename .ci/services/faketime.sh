#!/usr/bin/env bash
# libfaketime for robit-faults: the clock-jump fault steps the wall clock of worker JVMs with
# Debian's faketime/libfaketime (LD_PRELOAD). Idempotent; no server to start.
set -euo pipefail

if ! command -v faketime >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq faketime >/dev/null
fi
ls /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 >/dev/null 2>&1 || find /usr/lib -name 'libfaketime.so.1' | head -1
echo "faketime is installed"
