package io.robit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Redis URIs on the support kit's {@code UriParameters}: the documented forms, and clear refusals. */
class RedisUriTest {

    @Test
    void lettucesOwnParametersReachLettuce() {
        RedisUri location = RedisUri.parse("redis://h:6379?clientName=billing%20locks&timeout=7s&database=3&keyPrefix=p:");
        assertThat(location.uris()).singleElement().satisfies(uri -> {
            assertThat(uri.getClientName()).isEqualTo("billing locks");
            assertThat(uri.getTimeout()).isEqualTo(Duration.ofSeconds(7));
            assertThat(uri.getDatabase()).isEqualTo(3);
        });
        assertThat(location.keyPrefix()).isEqualTo("p:");
        RedisUri sentinel = RedisUri.parse("redis-sentinel://s1:26379?sentinelMasterId=mymaster&db=1");
        assertThat(sentinel.uris().get(0).getSentinelMasterId()).isEqualTo("mymaster");
        assertThat(sentinel.uris().get(0).getDatabase()).isEqualTo(1);
    }

    @Test
    void namesMatchInAnyCase() {
        RedisUri location = RedisUri.parse("redis://a:1,b:2?CLUSTER=true&KeyPrefix=k:&waitforreplicas=0");
        assertThat(location.cluster()).isTrue();
        assertThat(location.uris()).hasSize(2);
        assertThat(location.keyPrefix()).isEqualTo("k:");
        assertThat(location.acks().enabled()).isFalse();
    }

    @Test
    void theReplicaTimeoutIsMillisecondsOrADuration() {
        assertThat(RedisUri.parse("redis://h?waitForReplicas=1&waitForReplicasTimeout=250").acks()).hasToString("WAIT 1 250");
        assertThat(RedisUri.parse("redis://h?waitForReplicas=1&waitForReplicasTimeout=2s").acks()).hasToString("WAIT 1 2000");
        assertThatThrownBy(() -> RedisUri.parse("redis://h?waitForReplicasTimeout=2min"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitForReplicasTimeout=2min");
    }

    @Test
    void unknownParametersAreRefusedWithoutShowingThePassword() {
        assertThatThrownBy(() -> RedisUri.parse("redis://u:never-shown-7@h?keyPrefx=p:"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown parameter 'keyPrefx'").hasMessageContaining("keyPrefix")
                .hasMessageNotContaining("never-shown-7");
    }

    @Test
    void aParameterGivenTwiceIsRefused() {
        assertThatThrownBy(() -> RedisUri.parse("redis://:never-shown-8@h?keyPrefix=a:&keyprefix=b:"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice").hasMessageNotContaining("never-shown-8");
    }

    @Test
    void malformedValuesAreNamed() {
        assertThatThrownBy(() -> RedisUri.parse("redis://h?cacert="))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty cacert");
        assertThatThrownBy(() -> RedisUri.parse("redis://h?waitForReplicas=-1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("waitForReplicas=-1");
        assertThatThrownBy(() -> RedisUri.parse("redis://u:never-shown-6@h:1/notadb"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed").hasMessageNotContaining("never-shown-6");
    }
}
