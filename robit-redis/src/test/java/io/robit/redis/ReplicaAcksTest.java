package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReplicaAcksTest {

    @Test
    void countsOnlyOnlineReplicas() {
        String info = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"
                + "slave0:ip=127.0.0.1,port=7001,state=online,offset=42,lag=0\r\n"
                + "slave1:ip=127.0.0.1,port=7002,state=wait_bgsave,offset=0,lag=0\r\nmaster_repl_offset:42\r\n";
        assertThat(ReplicaAcks.onlineReplicas(info)).isEqualTo(1);
        assertThat(ReplicaAcks.onlineReplicas("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n")).isZero();
    }

    @Test
    void uriParametersChooseTheCheck() {
        assertThat(RedisUri.parse("redis://h:6379").acks()).isNull();
        assertThat(RedisUri.parse("redis://h:6379?waitForReplicas=0").acks().enabled()).isFalse();
        assertThat(RedisUri.parse("redis://h:6379?waitForReplicas=2&waitForReplicasTimeout=300").acks()).hasToString("WAIT 2 300");
        assertThat(RedisUri.parse("redis://h:6379?waitForReplicas=auto").acks().enabled()).isTrue();
        assertThat(RedisUri.parse("redis://h1:1,h2:2?cluster=true&waitForReplicasTimeout=50").acks())
                .hasToString("WAIT 1 50 when the master has replicas");
        assertThatThrownBy(() -> RedisUri.parse("redis://u:never-shown-9@h?waitForReplicas=some"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitForReplicas=some").hasMessageNotContaining("never-shown");
        assertThatThrownBy(() -> RedisUri.parse("redis://h?waitForReplicasTimeout=0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitForReplicasTimeout=0");
    }
}
