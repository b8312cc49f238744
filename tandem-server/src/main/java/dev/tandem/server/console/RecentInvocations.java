package dev.tandem.server.console;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The latest invocations of each endpoint, for the console's request view: a fixed ring per
 * endpoint that each request overwrites the oldest entry of, so that memory stays bounded whatever
 * the traffic and recording costs one array store.
 */
public final class RecentInvocations {
    /** How many invocations are kept per endpoint. */
    public static final int KEPT = 50;

    /** What one stage did, as the waterfall draws it. */
    public record Stage(String hostname, double millis, int responseBytes, @Nullable String responseType) {}

    /**
     * One invocation.
     *
     * @param status 200, or the HTTP status of its error
     * @param failedStage the container that failed it, when one did
     * @param stages what each stage did, in order (those that ran, for a failed one)
     */
    public record Invocation(
            long epochMillis,
            String requestId,
            String variant,
            int status,
            @Nullable String errorCode,
            @Nullable String failedStage,
            @Nullable String message,
            double totalMillis,
            int requestBytes,
            @Nullable String requestType,
            boolean streamed,
            List<Stage> stages) {}

    private static final class Ring {
        final AtomicReferenceArray<Invocation> slots = new AtomicReferenceArray<>(KEPT);
        final AtomicLong next = new AtomicLong();
    }

    private final ConcurrentMap<String, Ring> rings = new ConcurrentHashMap<>();

    public void record(String endpoint, Invocation invocation) {
        Ring ring = rings.computeIfAbsent(endpoint, name -> new Ring());
        ring.slots.set((int) (ring.next.getAndIncrement() % KEPT), invocation);
    }

    /** The endpoint's latest invocations, newest first. */
    public List<Invocation> latest(String endpoint) {
        Ring ring = rings.get(endpoint);
        if (ring == null) {
            return List.of();
        }
        long end = ring.next.get();
        List<Invocation> latest = new ArrayList<>(KEPT);
        for (long i = end - 1; i >= Math.max(0, end - KEPT); i--) {
            Invocation kept = ring.slots.get((int) (i % KEPT));
            if (kept != null) {
                latest.add(kept);
            }
        }
        return latest;
    }

    /** Forgets a deleted endpoint's invocations. */
    public void forget(String endpoint) {
        rings.remove(endpoint);
    }
}
