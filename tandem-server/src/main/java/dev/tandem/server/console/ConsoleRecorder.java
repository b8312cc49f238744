package dev.tandem.server.console;

import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.StageTiming;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.server.api.ErrorResponses;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What the console shows of each invocation, recorded as it ends: every one counts in the
 * endpoint's {@link TrafficHistory}; the {@link RecentInvocations} keep a sample — every failure,
 * every request that asked for its stages ({@code X-Tandem-Debug: stages}, as the console's "try
 * it" box does), and otherwise at most one success per endpoint every {@link #SAMPLE_MILLIS} ms —
 * so that a busy endpoint's recording costs a few atomic adds, not an allocation per request.
 */
public final class ConsoleRecorder {
    static final long SAMPLE_MILLIS = 20;

    private final RecentInvocations recent = new RecentInvocations();
    private final TrafficHistory traffic = new TrafficHistory();
    private final ConcurrentMap<String, AtomicLong> lastSampled = new ConcurrentHashMap<>();
    private final boolean recording;

    /** @param recording false to record nothing: a server with its metrics off observes nothing */
    public ConsoleRecorder(boolean recording) {
        this.recording = recording;
    }

    public RecentInvocations recent() {
        return recent;
    }

    public TrafficHistory traffic() {
        return traffic;
    }

    /**
     * An invocation that succeeded.
     *
     * @param asked whether the client asked for its stages: then it is always kept
     */
    public void succeeded(
            String endpoint,
            String variant,
            String requestId,
            StageRequest input,
            List<StageTiming> timings,
            long totalNanos,
            boolean streamed,
            boolean asked) {
        if (!recording) {
            return;
        }
        traffic.record(endpoint, totalNanos, false);
        if (!asked && !sampled(endpoint)) {
            return;
        }
        recent.record(
                endpoint,
                new RecentInvocations.Invocation(
                        System.currentTimeMillis(),
                        requestId,
                        variant,
                        200,
                        null,
                        null,
                        null,
                        totalNanos / 1e6,
                        input.body().size(),
                        input.contentType(),
                        streamed,
                        stages(timings)));
    }

    /** An invocation that failed: refused, or failed by a stage ({@code failedStage} names it). */
    public void failed(
            String endpoint,
            @Nullable String variant,
            String requestId,
            StageRequest input,
            Throwable error,
            long totalNanos) {
        traffic.record(endpoint, totalNanos, true);
        Throwable cause = Failures.unwrap(error);
        int status = cause instanceof TandemException known ? known.kind().httpStatus() : 500;
        String code =
                cause instanceof TandemException known ? ErrorResponses.runtimeCode(known.kind()) : "InternalFailure";
        String failedStage = cause instanceof ModelErrorException model ? model.container() : null;
        recent.record(
                endpoint,
                new RecentInvocations.Invocation(
                        System.currentTimeMillis(),
                        requestId,
                        variant == null ? "" : variant,
                        status,
                        code,
                        failedStage,
                        cause.getMessage(),
                        totalNanos / 1e6,
                        input.body().size(),
                        input.contentType(),
                        false,
                        List.of()));
    }

    /** Forgets a deleted endpoint. */
    public void forget(String endpoint) {
        recent.forget(endpoint);
        lastSampled.remove(endpoint);
    }

    private boolean sampled(String endpoint) {
        AtomicLong last = lastSampled.get(endpoint);
        if (last == null) {
            last = lastSampled.computeIfAbsent(
                    endpoint, name -> new AtomicLong(System.nanoTime() - 2 * SAMPLE_MILLIS * 1_000_000L));
        }
        long now = System.nanoTime();
        long before = last.get();
        return now - before >= SAMPLE_MILLIS * 1_000_000L && last.compareAndSet(before, now);
    }

    private static List<RecentInvocations.Stage> stages(List<StageTiming> timings) {
        List<RecentInvocations.Stage> stages = new ArrayList<>(timings.size());
        for (StageTiming timing : timings) {
            stages.add(new RecentInvocations.Stage(
                    timing.hostname(), timing.millis(), timing.responseBytes(), timing.responseContentType()));
        }
        return stages;
    }
}
