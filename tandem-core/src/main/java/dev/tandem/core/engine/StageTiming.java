package dev.tandem.core.engine;

import java.time.Duration;

/** How long one stage took for one invocation, measured around the call by the engine. */
public record StageTiming(String hostname, long nanos) {

    public Duration duration() {
        return Duration.ofNanos(nanos);
    }

    public double millis() {
        return nanos / 1_000_000.0;
    }
}
