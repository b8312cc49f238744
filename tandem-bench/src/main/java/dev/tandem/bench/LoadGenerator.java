package dev.tandem.bench;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * Drives one scenario with load of two shapes:
 *
 * <ul>
 *   <li>open loop: requests start at a constant rate whether or not earlier ones finished, and
 *       each latency counts from the time the request was due — corrected for coordinated
 *       omission, so a stall shows in the percentiles instead of hiding in fewer samples;
 *   <li>closed loop: a fixed number of requests in flight for a fixed time, for throughput.
 * </ul>
 */
final class LoadGenerator {

    /** Latency percentiles of an open-loop run, in microseconds. */
    record Latency(double p50, double p99, double p999, long count, long errors) {}

    /** Completed requests per second of a closed-loop run. */
    record Throughput(double perSecond, long count, long errors) {}

    private LoadGenerator() {}

    static Latency openLoop(Supplier<Future<?>> scenario, int perSecond, Duration duration)
            throws InterruptedException {
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
        long total = duration.toNanos() / interval;
        CountDownLatch done = new CountDownLatch((int) total);
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            scenario.get().onComplete(result -> {
                if (result.failed() && errors.incrementAndGet() == 1) {
                    System.err.println("first failure: " + result.cause());
                }
                synchronized (histogram) {
                    histogram.recordValue(Math.max(0, System.nanoTime() - due));
                }
                done.countDown();
            });
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException(done.getCount() + " of " + total
                    + " requests still outstanding 60 s after the run (" + errors.get() + " failed)");
        }
        synchronized (histogram) {
            return new Latency(
                    histogram.getValueAtPercentile(50) / 1e3,
                    histogram.getValueAtPercentile(99) / 1e3,
                    histogram.getValueAtPercentile(99.9) / 1e3,
                    histogram.getTotalCount(),
                    errors.get());
        }
    }

    static Throughput closedLoop(Supplier<Future<?>> scenario, int inFlight, Duration duration)
            throws InterruptedException {
        AtomicLong completed = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicInteger running = new AtomicInteger(inFlight);
        CountDownLatch done = new CountDownLatch(1);
        long end = System.nanoTime() + duration.toNanos();
        long start = System.nanoTime();
        for (int i = 0; i < inFlight; i++) {
            next(scenario, end, completed, errors, running, done);
        }
        done.await(duration.toSeconds() + 60, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Throughput(completed.get() / seconds, completed.get(), errors.get());
    }

    private static void next(
            Supplier<Future<?>> scenario,
            long end,
            AtomicLong completed,
            AtomicLong errors,
            AtomicInteger running,
            CountDownLatch done) {
        if (System.nanoTime() >= end) {
            if (running.decrementAndGet() == 0) {
                done.countDown();
            }
            return;
        }
        scenario.get().onComplete(result -> {
            if (result.failed()) {
                errors.incrementAndGet();
            } else {
                completed.incrementAndGet();
            }
            next(scenario, end, completed, errors, running, done);
        });
    }
}
