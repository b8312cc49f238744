package dev.tandem.server.async;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.server.MovableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The scaling rules, driven step by step with a clock the test moves and a fake fleet. */
class AsyncAutoscalerTest {
    private static final Duration IDLE = Duration.ofMinutes(5);

    /** One variant whose desired count the autoscaler sets, with its minimum. */
    private static final class Fleet implements AsyncAutoscaler.Capacity {
        int desired;
        final int minimum;
        final List<Integer> requests = new ArrayList<>();

        Fleet(int desired, int minimum) {
            this.desired = desired;
            this.minimum = minimum;
        }

        @Override
        public List<AsyncAutoscaler.VariantCapacity> variants(String endpoint) {
            return List.of(new AsyncAutoscaler.VariantCapacity("AllTraffic", desired, minimum));
        }

        @Override
        public void scale(String endpoint, String variant, int count) {
            requests.add(count);
            desired = count;
        }
    }

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-05T10:00:00Z"));
    private final Map<String, AsyncQueue.Backlog> backlogs = new ConcurrentHashMap<>();

    private AsyncAutoscaler autoscaler(Fleet fleet) {
        return new AsyncAutoscaler(
                () -> Set.of("ep"),
                endpoint -> backlogs.getOrDefault(endpoint, AsyncQueue.Backlog.EMPTY),
                fleet,
                clock,
                IDLE,
                Duration.ofSeconds(1));
    }

    @Test
    void aBacklogWithNoInstanceStartsOneAndIdlenessStopsItAfterTheIdleTime() {
        Fleet fleet = new Fleet(0, 0);
        AsyncAutoscaler autoscaler = autoscaler(fleet);
        autoscaler.check();
        assertThat(fleet.requests).as("nothing waits: nothing starts").isEmpty();

        backlogs.put("ep", new AsyncQueue.Backlog(3, 0, clock.instant()));
        autoscaler.check();
        assertThat(fleet.requests).containsExactly(1);

        backlogs.put("ep", AsyncQueue.Backlog.EMPTY);
        clock.advance(IDLE.minusSeconds(1));
        autoscaler.check();
        assertThat(fleet.requests).as("not idle long enough").containsExactly(1);

        clock.advance(Duration.ofSeconds(1));
        autoscaler.check();
        assertThat(fleet.requests).containsExactly(1, 0);
    }

    @Test
    void aVariantAtItsMinimumIsLeftAlone() {
        Fleet fleet = new Fleet(2, 2);
        AsyncAutoscaler autoscaler = autoscaler(fleet);
        autoscaler.check();
        clock.advance(IDLE.multipliedBy(3));
        autoscaler.check();
        assertThat(fleet.requests).isEmpty();
    }
}
