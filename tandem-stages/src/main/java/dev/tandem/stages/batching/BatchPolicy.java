package dev.tandem.stages.batching;

import dev.tandem.stages.support.Settings;
import java.time.Duration;

/**
 * How a model stage coalesces concurrent requests, read from its container's {@code Environment}
 * with the names of Triton's scheduler settings:
 *
 * <ul>
 *   <li>{@code TANDEM_MAX_BATCH_SIZE}: the most rows one model call takes. 0 or 1, the default,
 *       leaves batching off: each request is its own call, on Tandem's native-inference pool.
 *   <li>{@code TANDEM_MAX_QUEUE_DELAY_MICROSECONDS} (default 0): how long the oldest waiting
 *       request may wait for others to fill its batch. With 0 a batch holds whatever arrived while
 *       the model was busy, so nothing waits on purpose and a lone request is never delayed.
 *   <li>{@code TANDEM_MAX_QUEUE_SIZE} (default {@value #DEFAULT_QUEUE}): requests that may wait
 *       for a batch; past it a request is refused at once (ThrottlingException) instead of queueing.
 *   <li>{@code TANDEM_BATCH_WORKERS} (default: the cores): model calls that run at once, each on a
 *       batch of its own — while one runs, the next batch gathers.
 * </ul>
 */
public record BatchPolicy(int maxBatchSize, Duration maxQueueDelay, int maxQueueSize, int workers) {
    static final int DEFAULT_QUEUE = 256;

    public BatchPolicy {
        if (maxBatchSize < 0 || maxQueueSize < 1 || workers < 1 || maxQueueDelay.isNegative()) {
            throw new IllegalArgumentException("invalid batch policy: " + maxBatchSize + " rows, " + maxQueueDelay
                    + " delay, " + maxQueueSize + " queued, " + workers + " workers");
        }
    }

    public static BatchPolicy from(Settings settings) {
        return new BatchPolicy(
                settings.integer("TANDEM_MAX_BATCH_SIZE", 0, 0, 1 << 20),
                Duration.ofNanos(settings.integer("TANDEM_MAX_QUEUE_DELAY_MICROSECONDS", 0, 0, 10_000_000) * 1_000L),
                settings.integer("TANDEM_MAX_QUEUE_SIZE", DEFAULT_QUEUE, 1, 1 << 20),
                settings.integer("TANDEM_BATCH_WORKERS", Runtime.getRuntime().availableProcessors(), 1, 1024));
    }

    /** Whether requests are coalesced at all: a batch of one row is no batching. */
    public boolean enabled() {
        return maxBatchSize > 1;
    }
}
