package dev.tandem.server.async;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request in the queue with where it stands.
 *
 * @param attempts how many times it has been started; a request whose container crashed is
 *     queued again, up to a bound
 * @param startedAt when its last attempt started; null while it has never run
 * @param endedAt when it finished; null until then
 * @param failureReason why it failed; null unless it did
 */
public record QueuedRequest(
        AsyncRequest request,
        AsyncStatus status,
        int attempts,
        @Nullable Instant startedAt,
        @Nullable Instant endedAt,
        @Nullable String failureReason) {

    public QueuedRequest {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(status, "status");
    }

    public String id() {
        return request.id();
    }
}
