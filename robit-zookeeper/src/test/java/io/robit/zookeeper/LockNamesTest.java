package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LockNamesTest {

    @Test
    void plainIdsStayAsTheyAre() {
        assertThat(LockNames.escape("order-lock_1.v2")).isEqualTo("order-lock_1.v2");
    }

    @Test
    void everythingElseIsPercentEncodedUtf8() {
        assertThat(LockNames.escape("a/b")).isEqualTo("a%2Fb");
        assertThat(LockNames.escape("50%")).isEqualTo("50%25");
        assertThat(LockNames.escape("é")).isEqualTo("%C3%A9");
        assertThat(LockNames.escape("\uD83D\uDD12")).isEqualTo("%F0%9F%94%92");
        assertThat(LockNames.escape("\u0000")).isEqualTo("%00");
        assertThat(LockNames.escape(".")).isEqualTo("%2E");
        assertThat(LockNames.escape("..")).isEqualTo("%2E%2E");
        assertThat(LockNames.escape("...")).isEqualTo("...");
    }

    @Test
    void unescapeInvertsEscape() {
        for (String id : List.of("plain", "a/b", "50%", "é", "\uD83D\uDD12", ".", "..", "...", "sp ace", "%2F")) {
            assertThat(LockNames.unescape(LockNames.escape(id))).isEqualTo(id);
        }
        assertThat(LockNames.unescape("odd%zz%")).as("stray percent signs are kept").isEqualTo("odd%zz%");
    }

    @Test
    void distinctIdsGetDistinctNames() {
        List<String> ids = List.of("a/b", "a%2Fb", "a_b", ".", "%2E", "é", "%C3%A9");
        assertThat(ids.stream().map(LockNames::escape).distinct()).hasSize(ids.size());
    }

    @Test
    void badIdsAreRejectedWithTheReason() {
        assertThatThrownBy(() -> LockNames.escape(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> LockNames.escape("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> LockNames.escape("x\uD800")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> LockNames.escape("\uDC00x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 0");
        assertThat(LockNames.escape("x".repeat(LockNames.MAX_ESCAPED_LENGTH))).hasSize(LockNames.MAX_ESCAPED_LENGTH);
        assertThatThrownBy(() -> LockNames.escape("x".repeat(LockNames.MAX_ESCAPED_LENGTH + 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too long").hasMessageContaining("512");
        assertThatThrownBy(() -> LockNames.escape("/".repeat(200))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after escaping");
    }

    @Test
    void contendersAreSortedBySequenceWhateverTheirProtectionPrefix() {
        List<String> children = List.of("_c_bbb-lock-0000000012", "lock-0000000003", "_c_aaa-lock-0000000007", "stray", "lock-12");
        assertThat(LockNames.contenders(children)).containsExactly("lock-0000000003", "_c_aaa-lock-0000000007", "_c_bbb-lock-0000000012");
        assertThat(LockNames.sequenceOf("_c_x-lock-0000000042")).isEqualTo(42);
        assertThat(LockNames.sequenceOf("lock-00000000x2")).isEqualTo(LockNames.NOT_A_CONTENDER);
        assertThat(LockNames.predecessor(List.of("lock-0000000001", "lock-0000000002"), "lock-0000000002")).contains("lock-0000000001");
        assertThat(LockNames.predecessor(List.of("lock-0000000001", "lock-0000000002"), "lock-0000000001")).isEmpty();
    }

    @Test
    void sequencesPastTheWrapOfZooKeepersCounterAreContendersOrderedByCreation() {
        // ZooKeeper formats the signed counter with %010d: after 2147483647 come -2147483648, then up to -000000001.
        assertThat(LockNames.sequenceOf("lock--2147483648")).isEqualTo(Integer.MIN_VALUE);
        assertThat(LockNames.sequenceOf("_c_x-lock--000000001")).isEqualTo(-1);
        assertThat(LockNames.sequenceOf("lock--21474836480")).isEqualTo(LockNames.NOT_A_CONTENDER);
        assertThat(LockNames.sequenceOf("lock-9999999999")).as("beyond 32 bits").isEqualTo(LockNames.NOT_A_CONTENDER);
        assertThat(LockNames.sequenceOf("lock--00000001")).isEqualTo(LockNames.NOT_A_CONTENDER);
        assertThat(LockNames.needsCreationOrder(LockNames.contenders(List.of("lock-2147483646", "lock-2147483647", "lock--2147483648"))))
                .as("a wrapped number").isTrue();
        assertThat(LockNames.needsCreationOrder(LockNames.contenders(List.of("_c_a-lock-2147483647", "_c_b-lock-2147483647"))))
                .as("a repeated number").isTrue();
        assertThat(LockNames.needsCreationOrder(LockNames.contenders(List.of("lock-0000000002", "lock-0000000001", "stray")))).isFalse();
    }
}
