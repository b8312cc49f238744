package dev.tandem.server.endpoint;

import dev.tandem.core.model.PipelineDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A production variant as it runs: its model's instances and its current weight. Requests go to
 * its healthy instance with the fewest requests in flight (passing over, for a second, one whose
 * container has just refused a connection); when all are full, as many as can be
 * served within a short wait budget wait in its {@link AdmissionLine}, and the rest are refused.
 */
public final class Variant {
    /** How much a new service time moves the running mean: the last few dozen requests count. */
    private static final int SMOOTHING = 16;
    /** How long a request may expect to wait for a place under overload (see {@link #awaitPlace}). */
    static final Duration WAIT_BUDGET = Duration.ofMillis(20);
    /** How long a request may expect to wait for a place in a burst (see {@link #awaitPlace}). */
    static final Duration BURST_BUDGET = Duration.ofMillis(500);
    /** The admission line's short bound at most, in waiters per place of the instances. */
    private static final int MAX_LINE_PER_PLACE = 8;
    /** The admission line's burst bound at most, in waiters per place of the instances. */
    private static final int MAX_BURST_PER_PLACE = 64;
    /** How long a waiter waits before it gives up (see {@link #awaitPlace}). */
    static final Duration DEADLINE = Duration.ofSeconds(1);

    private final String name;
    private final PipelineDefinition model;
    private final AdmissionLine line;
    private final @Nullable ServerlessScaler serverless;
    /** The running mean of how long a request holds its place, in nanoseconds; 0 before the first. */
    private final AtomicLong meanServiceNanos = new AtomicLong();

    private volatile List<Instance> instances;
    private volatile double weight;

    /** @param timers where waiters in the admission line time out */
    Variant(
            String name,
            PipelineDefinition model,
            List<Instance> instances,
            double weight,
            ScheduledExecutorService timers) {
        this(name, model, instances, weight, timers, null);
    }

    /**
     * @param serverless for a serverless variant, what starts and stops its instances; it must be
     *     {@linkplain ServerlessScaler#attach attached} to this variant
     */
    Variant(
            String name,
            PipelineDefinition model,
            List<Instance> instances,
            double weight,
            ScheduledExecutorService timers,
            @Nullable ServerlessScaler serverless) {
        this(name, model, instances, weight, new AdmissionLine(timers, System::nanoTime), serverless);
    }

    /** With its admission line given: tests drive the line's time. */
    Variant(
            String name,
            PipelineDefinition model,
            List<Instance> instances,
            double weight,
            AdmissionLine line,
            @Nullable ServerlessScaler serverless) {
        this.serverless = serverless;
        this.name = name;
        this.model = model;
        this.instances = List.copyOf(instances);
        this.weight = weight;
        this.line = line;
    }

    public String name() {
        return name;
    }

    public PipelineDefinition model() {
        return model;
    }

    public List<Instance> instances() {
        return instances;
    }

    public double weight() {
        return weight;
    }

    void weight(double value) {
        this.weight = value;
    }

    public boolean isHealthy() {
        // Asked on every request: a loop, not a stream (which allocated a pipeline each time).
        for (Instance instance : instances) {
            if (instance.isHealthy()) {
                return true;
            }
        }
        return false;
    }

    public boolean allHealthy() {
        return instances.stream().allMatch(Instance::isHealthy);
    }

    /** Why this variant cannot become healthy (a container stopped for good), or null. */
    public @Nullable String fatalFailure() {
        for (Instance instance : instances) {
            String failure = instance.fatalFailure();
            if (failure != null) {
                return "variant " + name + ": " + failure;
            }
        }
        return null;
    }

    /** A container that has been restarted {@code maxRestarts} times or more, described; or null. */
    public @Nullable String crashingContainer(int maxRestarts) {
        for (Instance instance : instances) {
            String crashing = instance.crashingContainer(maxRestarts);
            if (crashing != null) {
                return "variant " + name + ": " + crashing;
            }
        }
        return null;
    }

    /** Its serverless settings and scaling, or null for a variant with a fixed instance count. */
    public @Nullable ServerlessScaler serverless() {
        return serverless;
    }

    /**
     * Whether a request may be sent its way: some instance is healthy, or it is serverless and
     * starts one on demand.
     */
    boolean canServe() {
        return serverless != null || isHealthy();
    }

    /**
     * A place for a request now: the healthy instance with the fewest requests in flight, taken, if
     * that is below its bound (and, serverless, the request within MaxConcurrency); null otherwise.
     * Never waits.
     */
    @Nullable
    Instance acquire() {
        if (!line.isEmpty()) {
            // First come, first served: a place that frees up goes to the line, not to a newcomer.
            return null;
        }
        Instance instance = pick();
        // Serverless: counted in only with a place in hand, so that a request that finds none and
        // goes on to wait never holds a count another needs.
        if (instance != null && serverless != null && !serverless.enter()) {
            giveBack(instance);
            return null;
        }
        return instance;
    }

    /** The healthy instance with the fewest requests in flight, taken, if below its bound. */
    @Nullable
    private Instance pick() {
        List<Instance> current = instances;
        int count = current.size();
        // Another request may take the chosen instance's last place first: look again, a few times.
        for (int attempt = 0; attempt < Math.max(2, count); attempt++) {
            int offset = count <= 1 ? 0 : ThreadLocalRandom.current().nextInt(count);
            Instance best = null;
            for (int i = 0; i < count; i++) {
                Instance candidate = current.get((offset + i) % count);
                if (candidate.isHealthy()
                        && candidate.outstanding() < candidate.maxInFlight()
                        && (best == null || candidate.outstanding() < best.outstanding())) {
                    best = candidate;
                }
            }
            if (best == null) {
                return null;
            }
            if (best.tryAcquire()) {
                return best;
            }
        }
        return null;
    }

    /**
     * Waits for a place, when the variant's requests are short. The line is there to ride out a
     * burst — a pause of the machine, a collection, a client catching up — which holds requests up
     * for some milliseconds: a request that arrives then should not be refused for it. The line
     * holds as many requests as the places serve in {@link #BURST_BUDGET} at the mean service time,
     * and once it keeps filling up while they serve it (the arrivals outrun the places) only as many
     * as they serve in {@link #WAIT_BUDGET} (see {@link AdmissionLine}); so under overload a waiter waits about that
     * long and the rest is refused at once. Requests longer than the budget get no line: a pause
     * passes within their own time, and a line would only add to their latency under overload. A
     * waiter gives up after {@link #DEADLINE}; its place normally comes within the budget. Before
     * any request has finished nothing says how long requests take, so nothing waits.
     *
     * @return the wait: an instance taken for the request, or empty when the wait ran out; null
     *     when the request may not wait (the line is full or there is none; serverless, past
     *     MaxConcurrency)
     */
    @Nullable
    CompletableFuture<Optional<Instance>> awaitPlace() {
        if (serverless != null) {
            return awaitStart(serverless);
        }
        long mean = meanServiceNanos.get();
        int places = capacity();
        if (mean == 0 || mean > WAIT_BUDGET.toNanos() || places == 0) {
            return null;
        }
        AdmissionLine.Bounds bounds = new AdmissionLine.Bounds(
                servedWithin(WAIT_BUDGET, places, mean, MAX_LINE_PER_PLACE),
                servedWithin(BURST_BUDGET, places, mean, MAX_BURST_PER_PLACE),
                // Half of what the places serve while the refusals last: served, not stalled.
                Math.max(1, servedWithin(AdmissionLine.CONFIRM, places, mean, Integer.MAX_VALUE) / 2));
        CompletableFuture<Optional<Instance>> place = line.join(bounds, DEADLINE);
        if (place != null) {
            // A place may have freed up while it was joining.
            serveLine();
        }
        return place;
    }

    /** How many requests {@code places} serve in {@code budget}, at most {@code perPlace} each. */
    private static int servedWithin(Duration budget, int places, long meanNanos, int perPlace) {
        // Places free up at places / mean per unit of time: in the budget, that many.
        return (int) Math.min((long) places * perPlace, places * budget.toNanos() / meanNanos);
    }

    /**
     * Serverless: a request within MaxConcurrency waits for a place for as long as an instance has
     * to start, and more instances start if those running and starting cannot take it.
     */
    private @Nullable CompletableFuture<Optional<Instance>> awaitStart(ServerlessScaler scaler) {
        if (!scaler.enter()) {
            return null;
        }
        CompletableFuture<Optional<Instance>> place = line.join(AdmissionLine.Bounds.NONE, scaler.startupTimeout());
        if (place == null) {
            scaler.exit();
            return null;
        }
        // What the caller sees completes after the count is given back, never before.
        CompletableFuture<Optional<Instance>> counted = place.whenComplete((taken, error) -> {
            if (error != null || taken.isEmpty()) {
                scaler.exit();
            }
        });
        scaler.ensureCapacity();
        serveLine();
        return counted;
    }

    /** Hands free places to the requests waiting in line, first come first served. */
    void serveLine() {
        line.serve(this::pick, this::giveBack);
    }

    /** Fails every request waiting in line with {@code error}: nothing will serve them. */
    void failWaiters(RuntimeException error) {
        line.failAll(error);
    }

    /** Ends a request that held its place on {@code instance} for {@code heldNanos}. */
    void release(Instance instance, long heldNanos) {
        if (serverless != null) {
            serverless.exit();
        }
        meanServiceNanos.getAndUpdate(mean -> mean == 0 ? heldNanos : mean + (heldNanos - mean) / SMOOTHING);
        giveBack(instance);
    }

    /** Frees a place on {@code instance} and hands it to whoever waits in line. */
    private void giveBack(Instance instance) {
        instance.release();
        serveLine();
    }

    /** How many requests wait in its admission line. */
    public int waiting() {
        return line.length();
    }

    /**
     * The healthy instance with the fewest requests in flight, taken, if it has fewer than {@code
     * limit}; null when every healthy instance is at the limit or none is healthy.
     */
    @Nullable
    Instance acquireBelow(int limit) {
        Instance best = null;
        for (Instance candidate : instances) {
            if (candidate.isHealthy() && (best == null || candidate.outstanding() < best.outstanding())) {
                best = candidate;
            }
        }
        if (best == null || best.outstanding() >= limit) {
            return null;
        }
        best.acquire();
        return best;
    }

    /** Whether an instance other than {@code instance} is healthy. */
    public boolean hasHealthyInstanceBesides(Instance instance) {
        for (Instance other : instances) {
            if (other != instance && other.isHealthy()) {
                return true;
            }
        }
        return false;
    }

    /** How many of its instances are healthy. */
    public int healthyInstances() {
        return (int) instances.stream().filter(Instance::isHealthy).count();
    }

    boolean hasRestarted() {
        return instances.stream().anyMatch(Instance::hasRestarted);
    }

    @Nullable
    public String unhealthyContainer() {
        List<Instance> current = instances;
        return current.isEmpty()
                ? "variant " + name + " has no instance ready"
                : current.get(0).unhealthyContainer();
    }

    /** How many requests its healthy instances take at a time, together. */
    int capacity() {
        return instances.stream()
                .filter(Instance::isHealthy)
                .mapToInt(Instance::maxInFlight)
                .sum();
    }

    /** Adds started instances to those taking traffic, and hands them the requests waiting. */
    void addInstances(List<Instance> added) {
        add(added);
        serveLine();
    }

    /** Adds instances to those taking traffic; the caller serves the line when it is ready to. */
    synchronized void add(List<Instance> added) {
        List<Instance> next = new java.util.ArrayList<>(instances);
        next.addAll(added);
        instances = List.copyOf(next);
    }

    /**
     * Makes {@code next} the instances taking traffic, and hands them the requests waiting; those
     * left out finish what they serve.
     */
    void replaceInstances(List<Instance> next) {
        synchronized (this) {
            instances = List.copyOf(next);
        }
        serveLine();
    }

    /** Takes one instance out of traffic; false if it was not one of its instances. */
    synchronized boolean removeInstance(Instance instance) {
        List<Instance> kept = new java.util.ArrayList<>(instances);
        boolean removed = kept.remove(instance);
        instances = List.copyOf(kept);
        return removed;
    }

    /** Takes {@code count} instances out of traffic, the least busy first, and returns them. */
    synchronized List<Instance> removeInstances(int count) {
        List<Instance> sorted = new java.util.ArrayList<>(instances);
        sorted.sort(java.util.Comparator.comparingInt(Instance::outstanding));
        List<Instance> removed = List.copyOf(sorted.subList(0, count));
        List<Instance> kept = new java.util.ArrayList<>(instances);
        kept.removeAll(removed);
        instances = List.copyOf(kept);
        return removed;
    }

    void close() {
        if (serverless != null) {
            serverless.close();
        }
        line.closeAll();
        instances.forEach(Instance::close);
    }
}
