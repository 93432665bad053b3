package io.robit.redis;

import io.robit.tck.DriverConformance;
import io.robit.tck.DriverFixture;

/** Every contract of the kit over the shared redis-server on 127.0.0.1:6379, cut off through a proxy where a contract needs it. */
class RedisConformanceIT extends DriverConformance<String> {
    @Override
    protected DriverFixture<String> openFixture() {
        return RedisFixture.standalone();
    }
}
