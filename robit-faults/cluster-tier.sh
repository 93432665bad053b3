#!/usr/bin/env bash
# Issue 14: the long cluster tier, one backend at a time (see docs/reliability.md, Clusters). For each of
# three etcd members, a three-server ZooKeeper ensemble and Redis master + replica + 3 Sentinels, a fault
# run of the suite (workers, oracle, checker) with the leader/master paused, killed and restarted and
# (etcd, ZooKeeper) the leader or a follower cut off from its peers, stopping once it has TARGET_ACQ holds
# and TARGET_FAULTS faults or after SECONDS of faults; then FAILOVERS Sentinel failovers with and without
# the replica acknowledgement (RedisSentinelFailoverRateIT). Reports: robit-faults/target/faults/*/report.txt,
# unavailable.txt, clusters.md; the rates: robit-faults/target/cluster-tier/redis-rate.txt.
# Usage: robit-faults/cluster-tier.sh [SEED] [SECONDS] [FAILOVERS]
set -uo pipefail
cd "$(dirname "$0")/.."
seed="${1:-20261130}"
seconds="${2:-600}"
failovers="${3:-30}"
out=robit-faults/target/cluster-tier
mkdir -p "$out"
status=0
for test in etcdCluster zookeeperEnsemble redisSentinel; do
  echo "== $(date -u +%H:%M:%S) ClusterFaultsIT#$test (commit $(git rev-parse --short HEAD))"
  ./mvnw -B -o -pl robit-faults -am verify -Drobit.faults.tier=long -Drobit.faults.seconds="$seconds" \
      -Drobit.faults.targetAcquisitions="${TARGET_ACQ:-100000}" -Drobit.faults.targetFaults="${TARGET_FAULTS:-1000}" \
      -Drobit.faults.seed="$seed" -Dtest=none -Dit.test="io.robit.faults.ClusterFaultsIT#$test" \
      -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false >"$out/$test.log" 2>&1 || status=1
  grep -E "Tests run:|FAIL" "$out/$test.log" | head -2
  tail -1 robit-faults/target/faults/clusters.md 2>/dev/null
done
echo "== $(date -u +%H:%M:%S) RedisSentinelFailoverRateIT, $failovers failovers each with and without WAIT"
./mvnw -B -o -pl robit-redis -am verify -Dtest=none -Dit.test=RedisSentinelFailoverRateIT -Drobit.cluster.failovers="$failovers" \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false >"$out/redis-rate.log" 2>&1 || status=1
grep -h "robit-cluster-rate" robit-redis/target/failsafe-reports/*RateIT-output.txt 2>/dev/null | tee "$out/redis-rate.txt" | grep -v " round "
exit $status
