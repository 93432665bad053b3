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
    void onceAMasterListedAReplicaEveryWriteNeedsOneEvenWhereNoneIsListed() {
        String withReplica = "# Replication\r\nrole:master\r\nconnected_slaves:1\r\n"
                + "slave0:ip=127.0.0.1,port=7001,state=online,offset=42,lag=0\r\n";
        String alone = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n";
        ReplicaAcks acks = ReplicaAcks.automatic(ReplicaAcks.DEFAULT_TIMEOUT).forDriver();
        assertThat(acks.requiredAfter(alone)).as("a Redis never seen with a replica").isZero();
        assertThat(acks.requiredAfter(withReplica)).isEqualTo(1);
        // A master deposed by a failover lists no replicas yet still takes writes its demotion forgets.
        assertThat(acks.requiredAfter(alone)).as("after a master with a replica was seen").isEqualTo(1);
        assertThat(acks.knownUnneeded(null, "k")).isFalse();

        ReplicaAcks fresh = ReplicaAcks.automatic(ReplicaAcks.DEFAULT_TIMEOUT).forDriver();
        assertThat(fresh.requiredAfter(alone)).as("each driver learns for itself").isZero();
        // The deposed master, seen by a driver that never wrote before: its backlog outlives its replica.
        String deposed = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nrepl_backlog_active:1\r\nrepl_backlog_size:1048576\r\n";
        assertThat(fresh.requiredAfter(deposed)).as("a master with an active replication backlog").isEqualTo(1);
        assertThat(fresh.requiredAfter(alone)).isEqualTo(1);
        assertThat(ReplicaAcks.automatic(ReplicaAcks.DEFAULT_TIMEOUT).forDriver()
                .requiredAfter("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nrepl_backlog_active:0\r\n")).isZero();
        assertThat(ReplicaAcks.fixed(0, ReplicaAcks.DEFAULT_TIMEOUT).forDriver().enabled()).as("waitForReplicas=0 stays off").isFalse();
        assertThat(ReplicaAcks.fixed(2, ReplicaAcks.DEFAULT_TIMEOUT).forDriver()).hasToString("WAIT 2 1000");
    }

    @Test
    void uriParametersChooseTheCheck() {
        assertThat(RedisUri.parse("redis://h:6379").acks()).isNull();
        assertThat(RedisUri.parse("redis://h:6379?waitForReplicas=0").acks().enabled()).isFalse();
        assertThat(RedisUri.parse("redis://h:6379?waitForReplicas=2&waitForReplicasTimeout=300").acks()).hasToString("WAIT 2 300");
        assertThat(RedisUri.parse("redis://h:6379?waitForReplicas=auto").acks().enabled()).isTrue();
        assertThat(RedisUri.parse("redis://h1:1,h2:2?cluster=true&waitForReplicasTimeout=50").acks())
                .hasToString("WAIT 1 50 once the deployment has replicas");
        assertThatThrownBy(() -> RedisUri.parse("redis://u:never-shown-9@h?waitForReplicas=some"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitForReplicas=some").hasMessageNotContaining("never-shown");
        assertThatThrownBy(() -> RedisUri.parse("redis://h?waitForReplicasTimeout=0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitForReplicasTimeout=0");
    }
}
