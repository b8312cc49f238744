package dev.tandem.server.console;

import dev.tandem.server.metrics.CoarseClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Each endpoint's traffic over the last 15 minutes, for the console's charts: requests, errors and
 * latency in 10-second slots, kept in the server itself so that the console needs no Prometheus.
 * A slot holds counts and a latency histogram of 48 buckets growing by a third from 50 µs (to
 * about 17 minutes), so p50 and p99 come within a bucket's width; recording is a few atomic adds.
 */
public final class TrafficHistory {
    static final long SLOT_MILLIS = 10_000;
    static final int SLOTS = 90;
    static final int BUCKETS = 48;
    private static final double FIRST_BOUND_MICROS = 50;
    private static final double GROWTH = 4.0 / 3.0;

    /** One slot of one endpoint's history. */
    public record Point(
            long epochMillis, double requestsPerSecond, double errorsPerSecond, double p50Millis, double p99Millis) {}

    /** One endpoint's slots: per slot its start, requests, errors, then its latency buckets. */
    private static final class Series {
        final AtomicLongArray starts = new AtomicLongArray(SLOTS);
        final AtomicLongArray counts = new AtomicLongArray(SLOTS * (2 + BUCKETS));
    }

    private final ConcurrentMap<String, Series> series = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public TrafficHistory() {
        // The metrics' coarse wall clock: a time at most a tenth of a second old puts a request in
        // its 10-second slot as well, without a clock read for every request.
        this(CoarseClock.INSTANCE::wallTime);
    }

    TrafficHistory(LongSupplier clock) {
        this.clock = clock;
    }

    public void record(String endpoint, long nanos, boolean error) {
        Series of = series.get(endpoint);
        if (of == null) {
            of = series.computeIfAbsent(endpoint, name -> new Series());
        }
        long start = clock.getAsLong() / SLOT_MILLIS * SLOT_MILLIS;
        int slot = (int) (start / SLOT_MILLIS % SLOTS);
        long seen = of.starts.get(slot);
        if (seen != start && of.starts.compareAndSet(slot, seen, start)) {
            // The slot's last use was 15 minutes ago: it starts again empty. (A request recorded by
            // another thread between the two steps may be lost; the chart does not need it.)
            for (int i = 0; i < 2 + BUCKETS; i++) {
                of.counts.set(slot * (2 + BUCKETS) + i, 0);
            }
        }
        int base = slot * (2 + BUCKETS);
        of.counts.incrementAndGet(base);
        if (error) {
            of.counts.incrementAndGet(base + 1);
        }
        of.counts.incrementAndGet(base + 2 + bucket(nanos));
    }

    /** The endpoint's last 15 minutes, oldest first, a point for every slot (empty ones included). */
    public List<Point> points(String endpoint) {
        Series of = series.get(endpoint);
        long now = clock.getAsLong() / SLOT_MILLIS * SLOT_MILLIS;
        List<Point> points = new ArrayList<>(SLOTS);
        for (int back = SLOTS - 1; back >= 0; back--) {
            long start = now - back * SLOT_MILLIS;
            int slot = (int) (start / SLOT_MILLIS % SLOTS);
            if (of == null || of.starts.get(slot) != start) {
                points.add(new Point(start, 0, 0, 0, 0));
                continue;
            }
            int base = slot * (2 + BUCKETS);
            long requests = of.counts.get(base);
            long[] buckets = new long[BUCKETS];
            for (int i = 0; i < BUCKETS; i++) {
                buckets[i] = of.counts.get(base + 2 + i);
            }
            double seconds = SLOT_MILLIS / 1000.0;
            points.add(new Point(
                    start,
                    requests / seconds,
                    of.counts.get(base + 1) / seconds,
                    quantile(buckets, 0.5),
                    quantile(buckets, 0.99)));
        }
        return points;
    }

    /** The bucket of a latency: 0 up to 50 µs, each next one a third wider. */
    static int bucket(long nanos) {
        double micros = nanos / 1000.0;
        if (micros <= FIRST_BOUND_MICROS) {
            return 0;
        }
        int bucket = 1 + (int) (Math.log(micros / FIRST_BOUND_MICROS) / Math.log(GROWTH));
        return Math.min(BUCKETS - 1, bucket);
    }

    /** A bucket's upper bound, in milliseconds. */
    static double upperMillis(int bucket) {
        return FIRST_BOUND_MICROS * Math.pow(GROWTH, bucket) / 1000.0;
    }

    private static double quantile(long[] buckets, double q) {
        long total = 0;
        for (long count : buckets) {
            total += count;
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return upperMillis(i);
            }
        }
        return upperMillis(buckets.length - 1);
    }
}
