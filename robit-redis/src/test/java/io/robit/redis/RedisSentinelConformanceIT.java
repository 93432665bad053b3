package io.robit.redis;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/**
 * The driver contract through three Sentinels to a master with a replica (issue 14), started for
 * this class: every grant and renewal waits for the replica's acknowledgement (the default).
 */
@DriverConformance.Contracts(DriverConformance.Contract.DRIVER)
class RedisSentinelConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() throws Exception {
        return RedisFixture.sentinel();
    }
}
