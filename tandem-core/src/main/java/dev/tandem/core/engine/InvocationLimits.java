package dev.tandem.core.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What one invocation may take when it is not a real-time request: a deadline for the whole
 * pipeline, and answers spooled to files instead of held in memory. Asynchronous invocations run
 * under these — up to an hour, bodies up to a gigabyte — on the same instances as real-time ones.
 *
 * @param deadlineNanos when the invocation must be over, on {@link System#nanoTime()}'s scale
 * @param spoolDirectory where answers larger than {@code inMemoryBytes} are written; the owner of
 *     the invocation deletes it afterwards
 * @param inMemoryBytes the largest answer kept in memory
 * @param maxBytes the largest answer taken at all
 */
public record InvocationLimits(long deadlineNanos, Path spoolDirectory, int inMemoryBytes, long maxBytes) {

    public InvocationLimits {
        Objects.requireNonNull(spoolDirectory, "spoolDirectory");
        if (inMemoryBytes < 0 || maxBytes < 1) {
            throw new IllegalArgumentException(
                    "limits must be positive, got inMemoryBytes " + inMemoryBytes + ", maxBytes " + maxBytes);
        }
    }

    /** The time left until the deadline; zero once it has passed. */
    public Duration remaining() {
        long left = deadlineNanos - System.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }
}
