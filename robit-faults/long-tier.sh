#!/usr/bin/env bash
# The fault suite's long tier: every backend/mode, one at a time, each stopping once it has both
# TARGET_ACQ holds and TARGET_FAULTS faults or after SECONDS of faults. Rows go to
# robit-faults/target/faults/results.md, reports to robit-faults/target/faults/BACKEND-SEED/report.txt.
# Usage: robit-faults/long-tier.sh [SEED] [SECONDS] [backend ...]   (see docs/reliability.md)
set -uo pipefail
cd "$(dirname "$0")/.."
seed="${1:-20261130}"
seconds="${2:-900}"
shift $(( $# > 2 ? 2 : $# ))
all=(RedisFaultsIT#appendfsyncAlways RedisFaultsIT#appendfsyncEverysec RedisFaultsIT#rdbSnapshotsOnly PostgresFaultsIT
     MariaDbFaultsIT SqliteFaultsIT EtcdFaultsIT ZooKeeperFaultsIT)
tests=("${@:-${all[@]}}")
status=0
for test in "${tests[@]}"; do
  echo "== $(date -u +%H:%M:%S) $test (commit $(git rev-parse --short HEAD))"
  ./mvnw -B -o -pl robit-faults -am verify -Drobit.faults.tier=long -Drobit.faults.seconds="$seconds" \
      -Drobit.faults.targetAcquisitions="${TARGET_ACQ:-100000}" -Drobit.faults.targetFaults="${TARGET_FAULTS:-1000}" \
      -Drobit.faults.seed="$seed" -Dtest=none -Dit.test="io.robit.faults.$test" \
      -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false >"robit-faults/target/long-$test.log" 2>&1 || status=1
  grep -E "Tests run:|FAIL" "robit-faults/target/long-$test.log" | head -2
  tail -1 robit-faults/target/faults/results.md
done
exit $status
