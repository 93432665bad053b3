#!/usr/bin/env bash
# Issue 14: runs the leader/master-kill smokes and the partition tests on real clusters ROUNDS times
# (etcd 3 members, ZooKeeper 3 servers, Redis master+replica+3 Sentinels, Redis Cluster 3+3), each round
# on fresh clusters on free loopback ports, and prints per backend how long grants were unavailable after
# the kill (min / median / max of the rounds) and the partition tests' timings. Any double grant, lost
# hold or token regression fails the round. Usage: robit-faults/cluster-smoke.sh [ROUNDS]
# (see docs/reliability.md, Clusters)
set -uo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
out=target/cluster-smoke
mkdir -p "$out"
: >"$out/figures.txt"
: >"$out/partitions.txt"
status=0
for round in $(seq 1 "$rounds"); do
  echo "== $(date -u +%H:%M:%S) round $round of $rounds (commit $(git rev-parse --short HEAD))"
  rm -f robit-*/target/failsafe-reports/*FailoverIT-output.txt robit-*/target/failsafe-reports/*PartitionIT-output.txt
  ./mvnw -B -fae -pl robit-redis,robit-etcd,robit-zookeeper -am verify -Dtest=none \
      -Dit.test='EtcdClusterFailoverIT,ZooKeeperEnsembleFailoverIT,RedisSentinelFailoverIT,RedisClusterFailoverIT,EtcdClusterPartitionIT,ZooKeeperEnsemblePartitionIT' \
      -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false >"$out/round-$round.log" 2>&1 || status=1
  grep -E "Tests run:.*in io|FAIL" "$out/round-$round.log" | head -8
  cat robit-*/target/failsafe-reports/*FailoverIT-output.txt 2>/dev/null | grep -h "robit-cluster-smoke" | tee -a "$out/figures.txt"
  cat robit-*/target/failsafe-reports/*PartitionIT-output.txt 2>/dev/null | grep -h "robit-cluster-partition" | tee -a "$out/partitions.txt"
done
echo "== grants unavailable after the kill, ms (min / median / max of the rounds that passed)"
for backend in etcd zookeeper redis-sentinel redis-cluster; do
  grep "robit-cluster-smoke $backend:" "$out/figures.txt" | sed -E 's/.* for ([0-9]+) ms.*/\1/' | sort -n | awk -v b="$backend" \
      '{ v[NR] = $1 } END { if (NR) printf "%-15s n=%d  %d / %d / %d\n", b, NR, v[1], v[int((NR + 1) / 2)], v[NR] }'
done
exit $status
