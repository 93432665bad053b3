package io.robit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The checkers fire on hand-made histories that break each claim, and stay quiet on a clean one. */
class CheckerTest {
    private static final long MS = 1_000_000L;
    private static final FaultRun.Config CONFIG = new FaultRun.Config(7, 2, Duration.ofSeconds(1), Duration.ofSeconds(10),
            Duration.ofSeconds(1), 100, 0, false);

    private final Map<String, List<Map<String, String>>> histories = new TreeMap<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<Oracle.Write> writes = new ArrayList<>();

    private void event(String worker, String line) {
        histories.computeIfAbsent(worker, w -> new ArrayList<>()).add(History.parse(line));
    }

    private void hold(String worker, long token, long sentMs, long answeredMs) {
        event(worker, "{\"e\":\"acq\",\"sent\":" + sentMs * MS + ",\"t\":" + answeredMs * MS + ",\"token\":" + token + ",\"trustedTtlNs\":" + 1000 * MS + "}");
        event(worker, "{\"e\":\"held\",\"t\":" + answeredMs * MS + ",\"token\":" + token + "}");
    }

    private void end(String worker, String kind, long token, long atMs) {
        event(worker, "{\"e\":\"" + kind + "\",\"t\":" + atMs * MS + ",\"token\":" + token + ",\"reason\":\"DEADLINE_PASSED\"}");
    }

    private Checker.Report check() {
        return new Checker(CONFIG, histories, faults, writes, null, 0, 10_000 * MS, 11_000 * MS).check("test");
    }

    @Test
    void cleanHandOverHasNoViolation() {
        hold("w0", 1, 0, 5);
        end("w0", "unlock", 1, 500);
        hold("w1", 2, 400, 510);
        end("w1", "unlock", 2, 900);
        Checker.Report report = check();
        assertThat(report.violations()).isEmpty();
        assertThat(report.overlaps()).isZero();
    }

    @Test
    void holderToldAfterAnotherWasGrantedIsALateNotice() {
        hold("w0", 1, 0, 5);
        end("w0", "lost", 1, 1400); // deadline 988 ms, told at 1400 ms
        hold("w1", 2, 1000, 1100);
        end("w1", "unlock", 2, 1500);
        Checker.Report report = check();
        assertThat(report.lateNotices()).isEqualTo(1);
        assertThat(report.lateMaxMs()).isEqualTo(300.0);
        assertThat(report.deadlineOverruns()).isZero();
    }

    @Test
    void aStoppedHolderIsExplainedNotLate() {
        hold("w0", 1, 0, 5);
        end("w0", "lost", 1, 1400);
        hold("w1", 2, 1000, 1100);
        end("w1", "unlock", 2, 1500);
        faults.add(new Fault(Fault.Kind.PAUSE_WORKER, "w0", "1.5xTTL", 100 * MS, 1390 * MS));
        Checker.Report report = check();
        assertThat(report.violations()).isEmpty();
        assertThat(report.excusedOverlaps()).isEqualTo(1);
    }

    @Test
    void aHolderWhoseProcessWasNotScheduledIsReportedApart() {
        hold("w0", 1, 0, 5);
        end("w0", "lost", 1, 1400);
        event("w0", "{\"e\":\"stall\",\"from\":" + 900 * MS + ",\"t\":" + 1390 * MS + "}");
        hold("w1", 2, 1000, 1100);
        end("w1", "unlock", 2, 1500);
        Checker.Report report = check();
        assertThat(report.violations()).isEmpty();
        assertThat(report.stalledLate()).isEqualTo(1);
    }

    @Test
    void aRenewalThatExtendsPastAnotherGrantIsADeadlineOverrun() {
        hold("w0", 1, 0, 5);
        event("w0", "{\"e\":\"ref\",\"sent\":" + 300 * MS + ",\"t\":" + 310 * MS + ",\"token\":1,\"outcome\":\"ok\",\"trustedTtlNs\":" + 1000 * MS + "}");
        end("w0", "lost", 1, 1280);
        hold("w1", 2, 1000, 1100);
        end("w1", "unlock", 2, 1500);
        Checker.Report report = check();
        assertThat(report.deadlineOverruns()).isEqualTo(1);
        assertThat(report.violations()).anyMatch(v -> v.startsWith("DEADLINE OVERRUN"));
    }

    @Test
    void aGrantAfterAnotherWithASmallerTokenIsARegression() {
        hold("w0", 5, 0, 5);
        end("w0", "unlock", 5, 100);
        hold("w1", 3, 200, 210);
        end("w1", "unlock", 3, 300);
        assertThat(check().tokenRegressions()).isEqualTo(1);
    }

    @Test
    void aStaleWriteAcceptedByTheResourceIsCaught() {
        hold("w0", 1, 0, 5);
        end("w0", "unlock", 1, 100);
        writes.add(new Oracle.Write(true, "w1", 2, 50 * MS, true, 1));
        writes.add(new Oracle.Write(true, "w0", 1, 60 * MS, true, 2));
        writes.add(new Oracle.Write(false, "w0", 1, 61 * MS, true, 2));
        Checker.Report report = check();
        assertThat(report.staleAccepted()).isEqualTo(1);
        assertThat(report.shadowOutOfOrder()).isEqualTo(1);
    }

    @Test
    void historyLinesRoundTripAndTornLinesAreSkipped() {
        assertThat(History.parse("{\"w\":\"w0\",\"e\":\"acq\",\"t\":12,\"err\":\"a \\\"b\\\"\"}"))
                .containsEntry("w", "w0").containsEntry("t", "12").containsEntry("err", "a \"b\"");
        assertThat(History.parse("{\"w\":\"w0\",\"e\":\"ac")).isNull();
    }
}
