package dev.tandem.server.endpoint;

import dev.tandem.core.error.ServiceUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instances of a serverless variant, started on demand and stopped when idle.
 *
 * <p>Every request counts against {@link ServerlessConfig#maxConcurrency()} from the moment it is
 * admitted until it ends — waiting for a cold start included — so past that bound a request is
 * refused at once, and nothing waits without bound. Enough instances run for the requests
 * admitted ({@code ceil(admitted / places)}, where places is what one instance takes at a time),
 * never fewer than {@link ServerlessConfig#provisionedConcurrency()} needs, never more than
 * {@link ServerlessConfig#maxConcurrency()} needs. An instance that has served nothing for the idle
 * time stops, down to the provisioned ones.
 *
 * <p>Time comes from {@code ticker} and the idle check runs on {@code timers}; tests drive both.
 */
public final class ServerlessScaler {
    private static final Logger LOG = LoggerFactory.getLogger(ServerlessScaler.class);
    /** How long a request that took an instance just as it went idle may take to finish. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

    /** Starts one instance of the variant's model; {@code onStatusChange} runs on every change. */
    @FunctionalInterface
    public interface Launcher {
        Instance launch(Runnable onStatusChange);
    }

    /** Told of every instance started on demand, with the time it took to serve: ModelSetupTime. */
    @FunctionalInterface
    public interface Listener {
        void started(String endpoint, String variant, Duration setupTime);

        Listener NONE = (endpoint, variant, setupTime) -> {};
    }

    /** An instance seen without work: how many requests it had served then, and since when. */
    private record IdleMark(long served, long sinceNanos) {}

    private final String endpointName;
    private final String variantName;
    private final int placesPerInstance;
    private final Duration startupTimeout;
    private final Duration idleTime;
    private final Launcher launcher;
    private final Listener listener;
    private final LongSupplier ticker;
    private final ScheduledExecutorService timers;
    private final AtomicInteger admitted = new AtomicInteger();
    private final Map<Instance, Long> starting = new HashMap<>();
    private final Map<Instance, IdleMark> idle = new HashMap<>();
    private volatile ServerlessConfig config;
    private int launching;
    private @Nullable Variant variant;
    private @Nullable ScheduledFuture<?> idleCheck;
    private boolean closed;

    /**
     * @param placesPerInstance how many requests one instance takes at a time ({@link InFlightLimit})
     * @param startupTimeout how long a request waits for a cold start, and an instance has to start
     * @param idleTime how long an instance serves nothing before it stops
     */
    public ServerlessScaler(
            String endpointName,
            String variantName,
            ServerlessConfig config,
            int placesPerInstance,
            Duration startupTimeout,
            Duration idleTime,
            Launcher launcher,
            Listener listener,
            ScheduledExecutorService timers,
            LongSupplier ticker) {
        this.endpointName = endpointName;
        this.variantName = variantName;
        this.config = config;
        this.placesPerInstance = placesPerInstance;
        this.startupTimeout = startupTimeout;
        this.idleTime = idleTime;
        this.launcher = launcher;
        this.listener = listener;
        this.timers = timers;
        this.ticker = ticker;
    }

    /** The instances kept warm through idleness: what the provisioned concurrency needs. */
    public int warmInstances() {
        return instancesFor(config.provisionedConcurrency());
    }

    public ServerlessConfig config() {
        return config;
    }

    /** How many requests are in flight or waiting for a start. */
    public int admitted() {
        return admitted.get();
    }

    Duration startupTimeout() {
        return startupTimeout;
    }

    /** Starts checking for idle instances; the variant's instances are those it manages. */
    void attach(Variant managed) {
        this.variant = managed;
        long period = Math.max(10, Math.min(1_000, idleTime.toMillis() / 4));
        this.idleCheck = timers.scheduleAtFixedRate(this::stopIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /** Counts a request in, if that stays within MaxConcurrency. */
    boolean enter() {
        int max = config.maxConcurrency();
        while (true) {
            int current = admitted.get();
            if (current >= max) {
                return false;
            }
            if (admitted.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    void exit() {
        admitted.decrementAndGet();
    }

    /** New concurrency settings, in place; more warm instances start at once, fewer stop when idle. */
    public void update(ServerlessConfig next) {
        this.config = next;
        ensureCapacity();
    }

    /** Starts instances until there are enough for the requests admitted and the warm minimum. */
    synchronized void ensureCapacity() {
        Variant managed = variant;
        if (managed == null || closed) {
            return;
        }
        ServerlessConfig current = config;
        int needed = Math.max(instancesFor(admitted.get()), warmInstances());
        needed = Math.min(needed, instancesFor(current.maxConcurrency()));
        for (int have = managed.instances().size() + launching; have < needed; have++) {
            launching++;
            Thread.ofVirtual()
                    .name("cold-start-" + endpointName + "-" + variantName)
                    .start(this::startOne);
        }
    }

    private void startOne() {
        long begun = ticker.getAsLong();
        Instance instance;
        try {
            instance = launcher.launch(this::statusChanged);
        } catch (RuntimeException e) {
            synchronized (this) {
                launching--;
            }
            LOG.warn("Endpoint {}: serverless variant {} could not start an instance", endpointName, variantName, e);
            failWaitersIfNothingCanServe("could not start an instance: " + e.getMessage());
            return;
        }
        Variant managed = variant;
        synchronized (this) {
            launching--;
            if (closed) {
                // The variant went away while this instance started: nothing will ever stop it but this.
                Thread.ofVirtual().name("stop-" + instance.id()).start(instance::close);
                return;
            }
            // In one step, so that ensureCapacity never sees it neither launching nor added.
            starting.put(instance, begun);
            if (managed != null) {
                managed.add(List.of(instance));
            }
        }
        // Notes a start that is already over before it serves the line with it.
        statusChanged();
    }

    /** Notes instances that became healthy (a finished cold start) or failed, and serves the line. */
    void statusChanged() {
        Variant managed = variant;
        if (managed == null) {
            return;
        }
        List<Instance> failed = new ArrayList<>();
        List<Duration> started = new ArrayList<>();
        String failure = null;
        synchronized (this) {
            long now = ticker.getAsLong();
            for (var entry : new ArrayList<>(starting.entrySet())) {
                Instance instance = entry.getKey();
                String why = instance.fatalFailure();
                if (why == null) {
                    why = instance.crashingContainer(FleetStartup.MAX_RESTARTS);
                }
                if (why == null && now - entry.getValue() > startupTimeout.toNanos()) {
                    why = instance.unhealthyContainer() + " (startup timeout " + startupTimeout.toSeconds() + " s)";
                }
                if (why != null) {
                    starting.remove(instance);
                    failed.add(instance);
                    failure = why;
                } else if (instance.isHealthy()) {
                    starting.remove(instance);
                    started.add(Duration.ofNanos(now - entry.getValue()));
                }
            }
        }
        for (Duration setup : started) {
            LOG.info(
                    "Endpoint {}: serverless variant {} started an instance in {} ms",
                    endpointName,
                    variantName,
                    setup.toMillis());
            listener.started(endpointName, variantName, setup);
        }
        for (Instance instance : failed) {
            managed.removeInstance(instance);
            Thread.ofVirtual().name("stop-" + instance.id()).start(instance::close);
        }
        if (failure != null) {
            LOG.warn(
                    "Endpoint {}: serverless variant {} failed to start an instance: {}",
                    endpointName,
                    variantName,
                    failure);
            failWaitersIfNothingCanServe("the instance started for it failed: " + failure);
        }
        managed.serveLine();
    }

    private void failWaitersIfNothingCanServe(String why) {
        Variant managed = variant;
        boolean pending;
        synchronized (this) {
            pending = launching > 0 || !starting.isEmpty();
        }
        if (managed != null && !pending && !managed.isHealthy()) {
            managed.failWaiters(new ServiceUnavailableException(
                    "Endpoint " + endpointName + ": serverless variant " + variantName + " " + why));
        }
    }

    /**
     * Stops instances that have served nothing for the idle time, keeping the warm ones; also
     * gives up on instances that did not start in time.
     */
    void stopIdle() {
        Variant managed = variant;
        if (managed == null) {
            return;
        }
        statusChanged();
        List<Instance> stopping = new ArrayList<>();
        synchronized (this) {
            long now = ticker.getAsLong();
            int healthy = managed.healthyInstances();
            int keep = warmInstances();
            for (Instance instance : managed.instances()) {
                if (!instance.isHealthy() || instance.outstanding() > 0) {
                    idle.remove(instance);
                    continue;
                }
                IdleMark mark = idle.get(instance);
                if (mark == null || mark.served() != instance.served()) {
                    idle.put(instance, new IdleMark(instance.served(), now));
                } else if (now - mark.sinceNanos() >= idleTime.toNanos() && healthy > keep) {
                    stopping.add(instance);
                    idle.remove(instance);
                    healthy--;
                }
            }
            idle.keySet().retainAll(managed.instances());
        }
        for (Instance instance : stopping) {
            if (managed.removeInstance(instance)) {
                LOG.info(
                        "Endpoint {}: serverless variant {} stopped idle instance {}",
                        endpointName,
                        variantName,
                        instance.id());
                Thread.ofVirtual().name("stop-" + instance.id()).start(() -> instance.drainAndClose(DRAIN_TIMEOUT));
            }
        }
    }

    /** Stops checking for idle instances and starting new ones; one still starting is stopped when up. */
    synchronized void close() {
        closed = true;
        ScheduledFuture<?> check = idleCheck;
        if (check != null) {
            check.cancel(false);
        }
    }

    /** How many instances serve {@code requests} at a time. */
    private int instancesFor(int requests) {
        return (requests + placesPerInstance - 1) / placesPerInstance;
    }
}
