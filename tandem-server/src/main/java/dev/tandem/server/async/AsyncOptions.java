package dev.tandem.server.async;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Server-wide settings of asynchronous inference.
 *
 * @param scaleInAfter how long an asynchronous variant that Tandem scaled out from zero stays
 *     idle before it scales back in (300 s)
 * @param maxAttempts how many times a request is started before instances that keep failing
 *     under it fail it (3)
 * @param subscribers HTTP(S) subscribers by SNS topic ARN, for notifications without SNS (none)
 */
public record AsyncOptions(Duration scaleInAfter, int maxAttempts, Map<String, List<URI>> subscribers) {

    public AsyncOptions {
        Objects.requireNonNull(scaleInAfter, "scaleInAfter");
        if (scaleInAfter.isNegative()) {
            throw new IllegalArgumentException("async-scale-in-after must not be negative, was " + scaleInAfter);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("async max attempts must be at least 1, was " + maxAttempts);
        }
        subscribers = Map.copyOf(subscribers);
    }

    public static AsyncOptions defaults() {
        return new AsyncOptions(Duration.ofMinutes(5), 3, Map.of());
    }

    public AsyncOptions withScaleInAfter(Duration value) {
        return new AsyncOptions(value, maxAttempts, subscribers);
    }

    public AsyncOptions withSubscribers(Map<String, List<URI>> value) {
        return new AsyncOptions(scaleInAfter, maxAttempts, value);
    }
}
