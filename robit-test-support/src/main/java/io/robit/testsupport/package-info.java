/**
 * Servers of a test's own, on free loopback ports, that a test may pause, kill and restart without
 * touching the shared servers on their usual ports: {@link io.robit.testsupport.RedisServer},
 * {@link io.robit.testsupport.RedisCluster}, {@link io.robit.testsupport.RedisSentinelGroup},
 * {@link io.robit.testsupport.EtcdServer}, {@link io.robit.testsupport.EtcdCluster},
 * {@link io.robit.testsupport.ZooKeeperServer}, {@link io.robit.testsupport.ZooKeeperEnsemble} and
 * the in-process {@link io.robit.testsupport.ZooKeeperTestServer}. They share one way to find a port
 * ({@link io.robit.testsupport.Ports}), find or install a binary ({@link io.robit.testsupport.Installed}),
 * run a process and wait until it answers ({@link io.robit.testsupport.ServerProcess},
 * {@link io.robit.testsupport.Probes}). Used by the driver tests, the fault suite and the benchmarks;
 * not published.
 */
package io.robit.testsupport;
