#!/usr/bin/env bash
# Issue 14: the long cluster tier, one topology at a time (see docs/reliability.md, Clusters). For each of
# three etcd members, a three-server ZooKeeper ensemble, Redis master + replica + 3 Sentinels and a Redis
# Cluster of 3 masters + 3 replicas, a fault run of the suite (workers, oracle, checker) with the
# leader/master paused, killed and restarted and (etcd, ZooKeeper) the leader or a follower cut off from its
# peers, stopping once it has TARGET_ACQ holds and TARGET_FAULTS faults or after SECONDS of faults; then
# FAILOVERS Sentinel failovers with and without the replica acknowledgement (RedisSentinelFailoverRateIT;
# FAILOVERS=0 skips it). Builds once (nice 19) and runs from a copy of the built classes, so that a rebuild
# of the tree during the runs does not change the code of workers started later; the runs themselves go at
# nice ${RUN_NICE:-5}. Reports: robit-faults/target/faults/*/report.txt and unavailable.txt, one row per run
# in robit-faults/target/faults/clusters.md; the rates: robit-faults/target/cluster-tier/redis-rate.txt.
# Usage: robit-faults/cluster-tier.sh [SEED] [SECONDS] [FAILOVERS] [TOPOLOGY ...]
# TOPOLOGY is etcdCluster, zookeeperEnsemble, redisSentinel or redisCluster (default: all four).
set -uo pipefail
cd "$(dirname "$0")/.."
seed="${1:-20261130}"
seconds="${2:-600}"
failovers="${3:-30}"
shift $(( $# > 3 ? 3 : $# ))
topologies=("${@:-etcdCluster zookeeperEnsemble redisSentinel redisCluster}")
read -r -a topologies <<<"${topologies[*]}"
out="$PWD/robit-faults/target/cluster-tier"
mkdir -p "$out"
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo "+changes")
cp_file="$out/classpath"
echo "== $(date -u +%FT%H:%M:%S) building (commit $commit)"
build=(-B -q -pl robit-faults -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test)
# Offline first; online only when the dependency plugin's own dependencies are not in the local repository yet.
nice -n 19 ./mvnw -o "${build[@]}" >"$out/build.log" 2>&1 || nice -n 19 ./mvnw "${build[@]}" >>"$out/build.log" 2>&1 \
    || { tail -20 "$out/build.log"; exit 2; }
# The tree's own class directories are copied; jars from the local repository are used where they are.
snapshot="$out/classes-$(date -u +%Y%m%dT%H%M%S)"
mkdir -p "$snapshot"
entries=("$PWD/robit-faults/target/test-classes" "$PWD/robit-faults/target/classes")
IFS=: read -r -a deps <"$cp_file"
entries+=("${deps[@]}")
classpath=""
for i in "${!entries[@]}"; do
  entry="${entries[$i]}"
  if [[ -d "$entry" ]]; then
    cp -a "$entry" "$snapshot/$i"
    entry="$snapshot/$i"
  fi
  classpath="${classpath:+$classpath:}$entry"
done
status=0
cd robit-faults
for topology in "${topologies[@]}"; do
  echo "== $(date -u +%FT%H:%M:%S) ClusterFaultsIT#$topology (commit $commit, seed $seed, at most $seconds s of faults, load $(cut -d' ' -f1-3 /proc/loadavg))"
  # shellcheck disable=SC2086
  nice -n "${RUN_NICE:-5}" java -Xmx1g -cp "$classpath" -Drobit.faults.tier=long -Drobit.faults.seconds="$seconds" -Drobit.faults.seed="$seed" \
      -Drobit.faults.targetAcquisitions="${TARGET_ACQ:-100000}" -Drobit.faults.targetFaults="${TARGET_FAULTS:-1000}" \
      ${FAULTS_OPTS:-} io.robit.faults.LongTier "ClusterFaultsIT#$topology" >"$out/$topology.log" 2>&1 || status=1
  grep -E "^== (PASSED|FAILED)|^VIOLATIONS|first grant|loss notices" "$out/$topology.log" | head -12
  tail -1 target/faults/clusters.md 2>/dev/null
done
cd ..
rm -rf "$snapshot"
if [[ "$failovers" -gt 0 ]]; then
  echo "== $(date -u +%FT%H:%M:%S) RedisSentinelFailoverRateIT, $failovers failovers each with and without WAIT"
  nice -n "${RUN_NICE:-5}" ./mvnw -B -o -pl robit-redis -am verify -Dtest=none -Dit.test=RedisSentinelFailoverRateIT \
      -Drobit.cluster.failovers="$failovers" -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
      >"$out/redis-rate.log" 2>&1 || status=1
  grep -h "robit-cluster-rate" robit-redis/target/failsafe-reports/*RateIT-output.txt 2>/dev/null | tee "$out/redis-rate.txt" | grep -v " round "
fi
echo "== $(date -u +%FT%H:%M:%S) done, exit $status"
exit $status
