package dev.tandem.core.engine;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What one stage did for one invocation: how long it took, measured around the call by the
 * engine, and what it answered — for debugging serialization between stages.
 *
 * @param responseBytes the size of its answer; -1 when it failed
 * @param responseContentType its answer's Content-Type, if it gave one
 */
public record StageTiming(String hostname, long nanos, int responseBytes, @Nullable String responseContentType) {

    public StageTiming(String hostname, long nanos) {
        this(hostname, nanos, -1, null);
    }

    public Duration duration() {
        return Duration.ofNanos(nanos);
    }

    public double millis() {
        return nanos / 1_000_000.0;
    }
}
