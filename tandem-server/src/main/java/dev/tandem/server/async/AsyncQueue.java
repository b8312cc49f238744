package dev.tandem.server.async;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The durable queue of asynchronous invocations, one FIFO per endpoint. Every method that changes
 * the queue has made its change durable when it returns, so a request is never lost once {@link
 * #enqueue} returned, whatever happens to the server afterwards. The embedded implementation keeps
 * it in the state database; a store shared by several servers can implement the same contract.
 */
public interface AsyncQueue extends AutoCloseable {

    /** How much waits for an endpoint: requests queued or in progress, and the oldest's arrival. */
    record Backlog(int queued, int inProgress, @Nullable Instant oldestReceivedAt) {
        public static final Backlog EMPTY = new Backlog(0, 0, null);

        public int size() {
            return queued + inProgress;
        }
    }

    /** Adds a request, {@link AsyncStatus#QUEUED}. */
    void enqueue(AsyncRequest request);

    /**
     * Takes the oldest queued requests of {@code endpoint}, at most {@code max}, oldest first: they
     * are {@link AsyncStatus#IN_PROGRESS} from now on, each with one more attempt.
     */
    List<QueuedRequest> claim(String endpoint, int max, Instant now);

    /** Puts a request that was in progress back in the queue, ahead of the ones that came later. */
    void requeue(String id);

    /** Ends a request, {@link AsyncStatus#COMPLETED} or {@link AsyncStatus#FAILED}. */
    void finish(String id, AsyncStatus status, Instant at, @Nullable String failureReason);

    /** The latest request of {@code endpoint} with this inference id. */
    Optional<QueuedRequest> find(String endpoint, String inferenceId);

    /** Queued requests of {@code endpoint} whose time to live has passed at {@code now}. */
    List<QueuedRequest> expired(String endpoint, Instant now);

    /** Every queued request of {@code endpoint}, oldest first. */
    List<QueuedRequest> queued(String endpoint);

    /** Every request in progress, on any endpoint: after a restart, those were cut off. */
    List<QueuedRequest> inProgress();

    Backlog backlog(String endpoint);

    /** Forgets finished requests that ended before {@code before}; returns how many. */
    int purgeFinished(Instant before);

    @Override
    void close();
}
