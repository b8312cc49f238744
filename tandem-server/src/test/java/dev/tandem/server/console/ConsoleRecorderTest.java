package dev.tandem.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.core.engine.StageTiming;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleRecorderTest {
    private final ConsoleRecorder recorder = new ConsoleRecorder(true);
    private final StageRequest input = new StageRequest(Payload.utf8("1,2"), "text/csv", null, null);
    private final List<StageTiming> timings =
            List.of(new StageTiming("pre", 1_000_000, 10, "text/x-pre"), new StageTiming("model", 2_000_000, 20, null));

    @Test
    void aSuccessKeepsEachStagesTimeSizeAndType() {
        recorder.succeeded("e", "AllTraffic", "r1", input, timings, 3_500_000, false, false);

        RecentInvocations.Invocation kept = recorder.recent().latest("e").getFirst();
        assertThat(kept.status()).isEqualTo(200);
        assertThat(kept.requestBytes()).isEqualTo(3);
        assertThat(kept.totalMillis()).isEqualTo(3.5);
        assertThat(kept.stages())
                .containsExactly(
                        new RecentInvocations.Stage("pre", 1.0, 10, "text/x-pre"),
                        new RecentInvocations.Stage("model", 2.0, 20, null));
    }

    @Test
    void aBusyEndpointsSuccessesAreSampledButFailuresAndAskedForRequestsAlwaysKept() {
        for (int i = 0; i < 1000; i++) {
            recorder.succeeded("e", "v", "ok-" + i, input, timings, 1_000, false, false);
        }
        recorder.succeeded("e", "v", "asked", input, timings, 1_000, false, true);
        recorder.failed(
                "e",
                "v",
                "failed",
                input,
                new ModelErrorException("model", 500, "boom", "Received server error", null),
                1_000);
        recorder.failed("e", null, "throttled", input, new ThrottlingException("full"), 1_000);

        List<RecentInvocations.Invocation> latest = recorder.recent().latest("e");
        assertThat(latest)
                .extracting(RecentInvocations.Invocation::requestId)
                .startsWith("throttled", "failed", "asked");
        // A thousand successes within milliseconds: only a few were kept.
        assertThat(latest.stream().filter(i -> i.requestId().startsWith("ok-"))).hasSizeLessThan(10);
        RecentInvocations.Invocation failed = latest.get(1);
        assertThat(failed.status()).isEqualTo(424);
        assertThat(failed.errorCode()).isEqualTo("ModelError");
        assertThat(failed.failedStage()).isEqualTo("model");
        assertThat(latest.getFirst().status()).isEqualTo(429);
        assertThat(latest.getFirst().errorCode()).isEqualTo("ThrottlingException");
        // Every one counts in the traffic.
        // (Summed over the slots: the test may cross from one 10-second slot into the next.)
        assertThat(recorder.traffic().points("e").stream()
                        .mapToDouble(TrafficHistory.Point::requestsPerSecond)
                        .sum())
                .isCloseTo(100.3, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void theRingKeepsTheLatestFifty() {
        for (int i = 0; i < 120; i++) {
            recorder.succeeded("e", "v", "r" + i, input, timings, 1_000, false, true);
        }
        List<RecentInvocations.Invocation> latest = recorder.recent().latest("e");
        assertThat(latest).hasSize(RecentInvocations.KEPT);
        assertThat(latest.getFirst().requestId()).isEqualTo("r119");
        assertThat(latest.getLast().requestId()).isEqualTo("r70");
        recorder.forget("e");
        assertThat(recorder.recent().latest("e")).isEmpty();
    }
}
