#!/usr/bin/env bash
# The fault suite's long tier: builds the suite once, then runs the given backends/modes (default: all
# eight) one at a time (io.robit.faults.LongTier), each stopping once it has both TARGET_ACQ holds and
# TARGET_FAULTS faults, or after SECONDS of faults. Rows go to robit-faults/target/faults/results.md,
# reports to robit-faults/target/faults/BACKEND-SEED/report.txt. Extra -Drobit.faults.* knobs may be
# given in FAULTS_OPTS. Usage: robit-faults/long-tier.sh [SEED] [SECONDS] [TEST ...]
# TEST is e.g. RedisFaultsIT#appendfsyncAlways or PostgresFaultsIT (see docs/reliability.md).
# The runs use a copy of the build's class directories, so a rebuild of the tree (a merge, another
# long-tier.sh) cannot swap classes under a running harness or a worker JVM it restarts. SKIP_BUILD=1
# reuses the last copy (to run a second backend beside a running one); HARNESS_XMX sets the harness
# heap (default 4g: it reads every history of a 100,000-acquisition run at once). The build runs at
# nice 19 (BUILD_NICE), the runs at the caller's priority. BUILD_ONLY=1 stops after the build.
set -uo pipefail
cd "$(dirname "$0")/.."
seed="${1:-20261130}"
seconds="${2:-900}"
shift $(( $# > 2 ? 2 : $# ))
root="$PWD"
cp_file="$root/robit-faults/target/long-tier.classpath"
snapshot_file="$root/robit-faults/target/long-tier.snapshot.classpath"
if [[ "${SKIP_BUILD:-0}" != 1 || ! -s "$snapshot_file" ]]; then
    echo "== $(date -u +%FT%H:%M:%S) building (commit $(git rev-parse --short HEAD))"
    nice -n "${BUILD_NICE:-19}" ./mvnw -B -q -o -pl robit-faults -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath \
        -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test || exit 2
    snapshot="$root/robit-faults/target/long-tier-cp/$(git rev-parse --short HEAD)-$(date -u +%H%M%S)"
    mkdir -p "$snapshot"
    entries=()
    IFS=: read -ra deps < "$cp_file"
    for entry in "$root/robit-faults/target/test-classes" "$root/robit-faults/target/classes" "${deps[@]}"; do
        if [[ -d "$entry" && "$entry" == "$root"/* ]]; then
            copy="$snapshot/${#entries[@]}-$(basename "$(dirname "$(dirname "$entry")")")-$(basename "$entry")"
            cp -r "$entry" "$copy"
            entries+=("$copy")
        else
            entries+=("$entry")
        fi
    done
    (IFS=:; echo "${entries[*]}") > "$snapshot_file"
    echo "$(git rev-parse --short HEAD)" > "$snapshot/commit"
fi
[[ "${BUILD_ONLY:-0}" == 1 ]] && exit 0
classpath="$(cat "$snapshot_file")"
commit="$(cat "$(dirname "${classpath%%:*}")/commit")"
cd robit-faults
echo "== $(date -u +%FT%H:%M:%S) running ${*:-all} (commit $commit, seed $seed, at most $seconds s of faults each, load $(cut -d' ' -f1-3 /proc/loadavg))"
# shellcheck disable=SC2086
java -Xmx"${HARNESS_XMX:-4g}" -cp "$classpath" -Drobit.faults.tier=long -Drobit.faults.seconds="$seconds" -Drobit.faults.seed="$seed" \
    -Drobit.faults.targetAcquisitions="${TARGET_ACQ:-100000}" -Drobit.faults.targetFaults="${TARGET_FAULTS:-1000}" \
    ${FAULTS_OPTS:-} io.robit.faults.LongTier "$@"
status=$?
echo "== $(date -u +%FT%H:%M:%S) done, exit $status (load $(cut -d' ' -f1-3 /proc/loadavg)); rows in robit-faults/target/faults/results.md"
exit $status
