package dev.tandem.bench;

import dev.tandem.server.metrics.CoarseClock;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one latency timer's record costs on the clock Tandem's metrics use ({@link CoarseClock})
 * against Micrometer's default, {@link Clock#SYSTEM}: a Prometheus timer with 18 bucket bounds, as
 * each of Tandem's latency timers has. A request records three timers through one container, five
 * through three stages.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MetricsClockBenchmark {
    private Timer onSystemClock;
    private Timer onCoarseClock;
    private long sample;

    @Setup
    public void setUp() {
        onSystemClock = timer(Clock.SYSTEM);
        onCoarseClock = timer(CoarseClock.INSTANCE);
    }

    private static Timer timer(Clock clock) {
        Duration[] bounds = new Duration[18];
        for (int i = 0; i < bounds.length; i++) {
            bounds[i] = Duration.ofNanos(Math.round(50_000 * Math.pow(2, i)));
        }
        return Timer.builder("tandem.bench.latency")
                .serviceLevelObjectives(bounds)
                .register(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock));
    }

    /** A duration that varies, so that the bucket search is not always the same. */
    private long nextNanos() {
        sample = (sample + 7919) & 0xFFFFF;
        return 20_000 + sample * 10;
    }

    @Benchmark
    public void recordOnSystemClock() {
        onSystemClock.record(nextNanos(), TimeUnit.NANOSECONDS);
    }

    @Benchmark
    public void recordOnCoarseClock() {
        onCoarseClock.record(nextNanos(), TimeUnit.NANOSECONDS);
    }
}
