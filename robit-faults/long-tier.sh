#!/usr/bin/env bash
# The fault suite's long tier: builds the suite once, then runs the given backends/modes (default: all
# eight) one at a time (io.robit.faults.LongTier), each stopping once it has both TARGET_ACQ holds and
# TARGET_FAULTS faults, or after SECONDS of faults. Rows go to robit-faults/target/faults/results.md,
# reports to robit-faults/target/faults/BACKEND-SEED/report.txt. Extra -Drobit.faults.* knobs may be
# given in FAULTS_OPTS. Usage: robit-faults/long-tier.sh [SEED] [SECONDS] [TEST ...]
# TEST is e.g. RedisFaultsIT#appendfsyncAlways or PostgresFaultsIT (see docs/reliability.md).
set -uo pipefail
cd "$(dirname "$0")/.."
seed="${1:-20261130}"
seconds="${2:-900}"
shift $(( $# > 2 ? 2 : $# ))
cp_file="$PWD/robit-faults/target/long-tier.classpath"
echo "== $(date -u +%FT%H:%M:%S) building (commit $(git rev-parse --short HEAD))"
./mvnw -B -q -o -pl robit-faults -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath -Dmdep.outputFile="$cp_file" \
    -Dmdep.includeScope=test || exit 2
cd robit-faults
classpath="$PWD/target/test-classes:$PWD/target/classes:$(cat "$cp_file")"
echo "== $(date -u +%FT%H:%M:%S) running ${*:-all} (seed $seed, at most $seconds s of faults each, load $(cut -d' ' -f1-3 /proc/loadavg))"
# shellcheck disable=SC2086
java -Xmx3g -cp "$classpath" -Drobit.faults.tier=long -Drobit.faults.seconds="$seconds" -Drobit.faults.seed="$seed" \
    -Drobit.faults.targetAcquisitions="${TARGET_ACQ:-100000}" -Drobit.faults.targetFaults="${TARGET_FAULTS:-1000}" \
    ${FAULTS_OPTS:-} io.robit.faults.LongTier "$@"
status=$?
echo "== $(date -u +%FT%H:%M:%S) done, exit $status; rows in robit-faults/target/faults/results.md"
exit $status
