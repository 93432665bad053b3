package io.robit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListCommandTest {
    @Test
    void columnsStayAlignedForLongNamesAndSixteenDigitTokens() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ListCommand.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), List.of(
                new String[] {"NAME", "STATE", "TOKEN", "EXPIRES IN", "HOLDER"},
                new String[] {"a", "held", "1764480000000001", "29s", "1@host (x)"},
                new String[] {"a-much-longer-lock-name", "free", "7", "-", "-"}));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

        assertThat(lines).hasSize(3);
        int tokenEnd = lines.get(0).indexOf("TOKEN") + "TOKEN".length();
        int expires = lines.get(0).indexOf("EXPIRES IN");
        int holder = lines.get(0).indexOf("HOLDER");
        assertThat(lines.get(1).indexOf("1764480000000001") + 16).isEqualTo(lines.get(1).indexOf("29s") - 2);
        assertThat(lines.get(1).indexOf("29s")).isEqualTo(expires);
        assertThat(lines.get(2).indexOf(" 7 ") + 2).isEqualTo(lines.get(1).indexOf("1764480000000001") + 16);
        assertThat(lines.get(1).indexOf("1@host")).isEqualTo(holder);
        assertThat(lines.get(2).indexOf("-  ") ).isGreaterThan(0);
        assertThat(lines.get(0).indexOf("TOKEN") + 5).isEqualTo(tokenEnd);
        assertThat(lines.get(1).indexOf("held")).isEqualTo(lines.get(0).indexOf("STATE"));
        assertThat(lines.get(2).indexOf("free")).isEqualTo(lines.get(0).indexOf("STATE"));
        assertThat(tokenEnd).isEqualTo(lines.get(1).indexOf("1764480000000001") + 16);
    }

    @Test
    void patternIsAPrefixOrAGlob() {
        assertThat(ListCommand.names(null).test("anything")).isTrue();
        assertThat(ListCommand.names("rep").test("report")).isTrue();
        assertThat(ListCommand.names("rep").test("a-report")).isFalse();
        assertThat(ListCommand.names("*-report").test("nightly-report")).isTrue();
        assertThat(ListCommand.names("*-report").test("nightly-report-2")).isFalse();
        assertThat(ListCommand.names("a?c").test("abc")).isTrue();
        assertThat(ListCommand.names("a.c*").test("abc")).as("regex characters are literal").isFalse();
        assertThatThrownBy(() -> ListCommand.names("  ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void holdersAreShownAsPidAtHost() {
        assertThat(Holders.describe("4242@vm/3f2a-uuid")).isEqualTo("4242@vm (3f2a-uuid)");
        assertThat(Holders.describe("intruder")).isEqualTo("intruder");
    }
}
