package dev.tandem.server.endpoint;

import dev.tandem.core.engine.PipelineStage;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.RunningContainer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One running copy of a model's containers — SageMaker's "instance". It takes traffic only while
 * every one of its containers is healthy.
 */
public final class Instance {
    private final String id;
    private final List<RunningContainer> containers;
    private final List<PipelineStage> stages;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    /** Told when the last request in flight ends; see {@link #drained()}. */
    private final List<CompletableFuture<Void>> drainWaiters = new ArrayList<>();

    private volatile boolean drainAwaited;

    private final int maxInFlight;
    private final @Nullable RemoteInstance remote;
    private final @Nullable InstanceAddress address;

    /** @param maxInFlight how many requests it takes at a time ({@link InFlightLimit}) */
    Instance(String id, List<RunningContainer> containers, int maxInFlight) {
        this(id, containers, maxInFlight, null, null);
    }

    private Instance(
            String id,
            List<RunningContainer> containers,
            int maxInFlight,
            @Nullable RemoteInstance remote,
            @Nullable InstanceAddress address) {
        this.id = id;
        this.maxInFlight = maxInFlight;
        this.remote = remote;
        this.address = address;
        this.containers = List.copyOf(containers);
        this.stages = this.containers.stream()
                .map(c -> new PipelineStage(c.hostname(), c.stage()))
                .toList();
    }

    /** An instance another process runs: it has no containers here, and stopping it is not ours to do. */
    static Instance remote(InstanceAddress address, RemoteInstance remote, int maxInFlight) {
        return new Instance(address.id(), List.of(), maxInFlight, remote, address);
    }

    /** Where it listens, when another process runs it; else null. */
    @Nullable
    InstanceAddress address() {
        return address;
    }

    /** The process that runs it when that is not this server (see {@link RemoteInstance}); else null. */
    public @Nullable RemoteInstance remote() {
        return remote;
    }

    public String id() {
        return id;
    }

    /** The containers as the engine runs them, in pipeline order. */
    public List<PipelineStage> stages() {
        return stages;
    }

    public List<RunningContainer> containers() {
        return containers;
    }

    public boolean isHealthy() {
        if (remote != null) {
            return remote.isAvailable();
        }
        for (RunningContainer container : containers) {
            if (!container.status().isHealthy()) {
                return false;
            }
        }
        return true;
    }

    /** The first container that is not healthy, described for an error message; null if none. */
    public @Nullable String unhealthyContainer() {
        if (remote != null) {
            return remote.isAvailable() ? null : "instance " + id + " could not be reached just now";
        }
        for (RunningContainer container : containers) {
            ContainerStatus status = container.status();
            if (!status.isHealthy()) {
                String phase = status.phase().name().toLowerCase(java.util.Locale.ROOT);
                return "container " + container.hostname() + " of instance " + id + " is " + phase
                        + (status.reason() == null ? "" : " (" + status.reason() + ")");
            }
        }
        return null;
    }

    /** Why this instance can never become healthy (a container stopped for good), or null. */
    public @Nullable String fatalFailure() {
        for (RunningContainer container : containers) {
            ContainerStatus status = container.status();
            if (status.phase() == ContainerStatus.Phase.STOPPED) {
                return "container " + container.hostname() + " of instance " + id + ": " + status.reason();
            }
        }
        return null;
    }

    /** A container of this instance restarted {@code maxRestarts} times or more, described; or null. */
    public @Nullable String crashingContainer(int maxRestarts) {
        for (RunningContainer container : containers) {
            ContainerStatus status = container.status();
            if (status.restarts() >= maxRestarts) {
                return "container " + container.hostname() + " of instance " + id + " failed " + status.restarts()
                        + " times: " + status.reason();
            }
        }
        return null;
    }

    /** Whether some container of this instance has failed since it was first healthy. */
    boolean hasRestarted() {
        if (remote != null) {
            // It served, and now cannot be reached: down, not still starting.
            return !remote.isAvailable();
        }
        for (RunningContainer container : containers) {
            if (container.status().restarts() > 0 || container.status().phase() == ContainerStatus.Phase.UNHEALTHY) {
                return true;
            }
        }
        return false;
    }

    /** The requests it is serving now. */
    public int outstanding() {
        return outstanding.get();
    }

    /** How many requests it takes at a time. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** How many requests it has taken since it started. */
    public long served() {
        return served.get();
    }

    /** Counts one more request in flight, whatever the bound (asynchronous work has its own). */
    void acquire() {
        served.incrementAndGet();
        outstanding.incrementAndGet();
    }

    /** Counts one more request in flight if that stays within its bound; false when it is full. */
    boolean tryAcquire() {
        while (true) {
            int current = outstanding.get();
            if (current >= maxInFlight) {
                return false;
            }
            if (outstanding.compareAndSet(current, current + 1)) {
                served.incrementAndGet();
                return true;
            }
        }
    }

    void release() {
        if (outstanding.decrementAndGet() == 0 && drainAwaited) {
            signalDrained();
        }
    }

    /** Completes once it has no request in flight: at once if it has none now. */
    CompletableFuture<Void> drained() {
        CompletableFuture<Void> drained = new CompletableFuture<>();
        synchronized (drainWaiters) {
            drainWaiters.add(drained);
            drainAwaited = true;
        }
        // After registering, so that a release that has just reached zero is not missed.
        if (outstanding.get() == 0) {
            signalDrained();
        }
        return drained;
    }

    private void signalDrained() {
        List<CompletableFuture<Void>> waiting;
        synchronized (drainWaiters) {
            waiting = new ArrayList<>(drainWaiters);
            drainWaiters.clear();
            drainAwaited = false;
        }
        waiting.forEach(waiter -> waiter.complete(null));
    }

    /**
     * Lets the requests in flight finish, for up to {@code drainTimeout}, then stops it; for an
     * instance already out of traffic.
     */
    void drainAndClose(Duration drainTimeout) {
        drained()
                .completeOnTimeout(null, drainTimeout.toNanos(), TimeUnit.NANOSECONDS)
                .join();
        close();
    }

    /** Stops every container, the last one first, all of them in parallel. */
    void close() {
        List<Thread> stopping = containers.reversed().stream()
                .map(container -> Thread.ofVirtual()
                        .name("stop-" + id + "-" + container.hostname())
                        .start(container::close))
                .toList();
        for (Thread thread : stopping) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
