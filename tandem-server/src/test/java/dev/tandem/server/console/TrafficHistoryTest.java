package dev.tandem.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TrafficHistoryTest {
    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final TrafficHistory history = new TrafficHistory(now::get);

    @Test
    void eachSlotCountsItsRequestsErrorsAndLatencyQuantiles() {
        for (int i = 0; i < 98; i++) {
            history.record("e", 1_000_000, false); // 1 ms
        }
        history.record("e", 200_000_000, true); // 200 ms
        history.record("e", 200_000_000, true);

        List<TrafficHistory.Point> points = history.points("e");
        assertThat(points).hasSize(TrafficHistory.SLOTS);
        TrafficHistory.Point last = points.getLast();
        assertThat(last.requestsPerSecond()).isEqualTo(10.0);
        assertThat(last.errorsPerSecond()).isEqualTo(0.2);
        // Within a bucket's width (a third) above the true value.
        assertThat(last.p50Millis()).isBetween(1.0, 1.34);
        assertThat(last.p99Millis()).isBetween(200.0, 267.0);
        assertThat(points.getFirst().requestsPerSecond()).isZero();
    }

    @Test
    void slotsMoveWithTimeAndASlotFifteenMinutesOldStartsAgainEmpty() {
        history.record("e", 1_000_000, false);
        now.addAndGet(TrafficHistory.SLOT_MILLIS);
        history.record("e", 1_000_000, false);
        history.record("e", 1_000_000, false);

        List<TrafficHistory.Point> points = history.points("e");
        assertThat(points.get(points.size() - 2).requestsPerSecond()).isEqualTo(0.1);
        assertThat(points.getLast().requestsPerSecond()).isEqualTo(0.2);

        // Fifteen minutes on, the same slot is reused: it does not add to what it held.
        now.addAndGet(TrafficHistory.SLOT_MILLIS * TrafficHistory.SLOTS);
        history.record("e", 1_000_000, false);
        assertThat(history.points("e").getLast().requestsPerSecond()).isEqualTo(0.1);
        assertThat(history.points("e").stream()
                        .mapToDouble(TrafficHistory.Point::requestsPerSecond)
                        .sum())
                .isCloseTo(0.1, within(1e-9));
    }

    @Test
    void bucketsGrowByAThirdFromFiftyMicroseconds() {
        assertThat(TrafficHistory.bucket(10_000)).isZero();
        assertThat(TrafficHistory.bucket(50_000)).isZero();
        assertThat(TrafficHistory.bucket(60_000)).isEqualTo(1);
        assertThat(TrafficHistory.upperMillis(0)).isEqualTo(0.05);
        assertThat(TrafficHistory.bucket(Long.MAX_VALUE)).isEqualTo(TrafficHistory.BUCKETS - 1);
        for (long nanos = 60_000; nanos < 10_000_000_000L; nanos *= 3) {
            int bucket = TrafficHistory.bucket(nanos);
            assertThat(nanos / 1e6).isLessThanOrEqualTo(TrafficHistory.upperMillis(bucket) * 1.0000001);
            assertThat(nanos / 1e6).isGreaterThan(TrafficHistory.upperMillis(bucket - 1) * 0.9999999);
        }
    }
}
