package dev.tandem.core.engine;

import java.time.Duration;

/**
 * Thrown by a stage that gave up waiting for its container's answer. The engine reports it as a
 * {@code ModelError} naming the container.
 */
public class StageTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    public StageTimeoutException(Duration timeout) {
        super("no response within " + timeout.toMillis() + " ms");
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }
}
