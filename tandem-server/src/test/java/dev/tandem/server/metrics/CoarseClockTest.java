package dev.tandem.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CoarseClockTest {
    private final CoarseClock clock = CoarseClock.INSTANCE;

    @Test
    void wallTimeFollowsTheSystemClockWithinItsRefresh() throws InterruptedException {
        long before = clock.wallTime();
        // Bounds far wider than the refresh: a loaded machine may hold the refresher back a while.
        long slack = 50 * CoarseClock.REFRESH_MILLIS;
        assertThat(clock.wallTime()).isBetween(System.currentTimeMillis() - slack, System.currentTimeMillis());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (clock.wallTime() < before + 3 * CoarseClock.REFRESH_MILLIS && System.nanoTime() < deadline) {
            Thread.sleep(CoarseClock.REFRESH_MILLIS);
        }
        assertThat(clock.wallTime())
                .as("the wall time moves on")
                .isGreaterThanOrEqualTo(before + 3 * CoarseClock.REFRESH_MILLIS)
                .isBetween(System.currentTimeMillis() - slack, System.currentTimeMillis());
    }

    @Test
    void monotonicTimeIsTheExactOne() {
        long before = System.nanoTime();
        long read = clock.monotonicTime();
        assertThat(read).isBetween(before, System.nanoTime());
    }

    @Test
    void aTimerOnItRecordsCountTotalMaximumAndBuckets() {
        PrometheusMeterRegistry registry =
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
        Timer timer = Timer.builder("hop")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(10))
                .register(registry);
        timer.record(Duration.ofMillis(2));
        timer.record(Duration.ofMillis(5));

        assertThat(timer.count()).isEqualTo(2);
        assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(7.0);
        assertThat(timer.max(TimeUnit.MILLISECONDS)).isEqualTo(5.0);
        assertThat(registry.scrape())
                .contains("hop_seconds_bucket{le=\"0.001\"} 0")
                .contains("hop_seconds_bucket{le=\"0.01\"} 2");
    }
}
