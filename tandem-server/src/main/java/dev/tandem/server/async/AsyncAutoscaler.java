package dev.tandem.server.async;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scales asynchronous variants between zero and one instance, which SageMaker's users wire by hand
 * with an alarm on {@code HasBacklogWithoutCapacity}: when requests wait and no instance is asked
 * for, one starts; when a variant above its minimum has had nothing to do for {@code scaleInAfter},
 * it goes back down to its minimum. A variant's minimum is the instance count its user last set
 * (InitialInstanceCount, then UpdateEndpointWeightsAndCapacities' DesiredInstanceCount).
 */
public final class AsyncAutoscaler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AsyncAutoscaler.class);

    /** A variant's instance counts: the count asked for now, and the least it may have. */
    public record VariantCapacity(String variant, int desired, int minimum) {}

    /** What the autoscaler reads and changes: the control plane's view of the endpoints. */
    public interface Capacity {
        /** The variants of an InService endpoint; empty while it is not InService. */
        List<VariantCapacity> variants(String endpoint);

        /** Asks for {@code count} instances of a variant, leaving its minimum as it is. */
        void scale(String endpoint, String variant, int count);
    }

    private final Supplier<Set<String>> endpoints;
    private final Function<String, AsyncQueue.Backlog> backlogs;
    private final Capacity capacity;
    private final Clock clock;
    private final Duration scaleInAfter;
    private final Duration tick;
    private final Map<String, Instant> busyAt = new ConcurrentHashMap<>();
    private final Thread loop;
    private volatile boolean closed;

    /** Scales the asynchronous endpoints of {@code async}. */
    public AsyncAutoscaler(AsyncInference async, Capacity capacity, Clock clock, Duration scaleInAfter, Duration tick) {
        this(async::endpoints, async::backlog, capacity, clock, scaleInAfter, tick);
    }

    /**
     * @param endpoints the asynchronous endpoints now
     * @param backlogs an endpoint's backlog now
     * @param scaleInAfter how long a variant above its minimum stays idle before it scales in
     * @param tick how often the backlog is looked at
     */
    AsyncAutoscaler(
            Supplier<Set<String>> endpoints,
            Function<String, AsyncQueue.Backlog> backlogs,
            Capacity capacity,
            Clock clock,
            Duration scaleInAfter,
            Duration tick) {
        this.endpoints = endpoints;
        this.backlogs = backlogs;
        this.capacity = capacity;
        this.clock = clock;
        this.scaleInAfter = scaleInAfter;
        this.tick = tick;
        this.loop = Thread.ofVirtual().name("async-autoscaler").unstarted(this::run);
    }

    public void start() {
        loop.start();
    }

    private void run() {
        while (!closed) {
            try {
                check();
            } catch (RuntimeException e) {
                LOG.error("Asynchronous autoscaling failed; trying again", e);
            }
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One look at every asynchronous endpoint; tests drive it step by step. */
    void check() {
        Instant now = clock.instant();
        for (String endpoint : endpoints.get()) {
            List<VariantCapacity> variants = capacity.variants(endpoint);
            if (variants.isEmpty()) {
                continue;
            }
            AsyncQueue.Backlog backlog = backlogs.apply(endpoint);
            if (backlog.size() > 0) {
                busyAt.put(endpoint, now);
            }
            int desired = variants.stream().mapToInt(VariantCapacity::desired).sum();
            if (desired == 0 && backlog.queued() > 0) {
                VariantCapacity first = variants.get(0);
                LOG.info(
                        "Endpoint {}: {} request(s) waiting and no instance; starting one of variant {}",
                        endpoint,
                        backlog.queued(),
                        first.variant());
                capacity.scale(endpoint, first.variant(), 1);
                continue;
            }
            Instant lastBusy = busyAt.getOrDefault(endpoint, now);
            busyAt.putIfAbsent(endpoint, now);
            if (backlog.size() == 0 && Duration.between(lastBusy, now).compareTo(scaleInAfter) >= 0) {
                for (VariantCapacity variant : variants) {
                    if (variant.desired() > variant.minimum()) {
                        LOG.info(
                                "Endpoint {}: idle for {} s; variant {} back to {} instance(s)",
                                endpoint,
                                scaleInAfter.toSeconds(),
                                variant.variant(),
                                variant.minimum());
                        capacity.scale(endpoint, variant.variant(), variant.minimum());
                        break;
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        loop.interrupt();
    }
}
