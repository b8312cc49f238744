package dev.tandem.server.endpoint;

import dev.tandem.core.error.ModelNotReadyException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.error.ValidationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A named, invokable deployment: its production variants and their instances. A request goes to
 * the variant it names, or to one drawn by weight among the variants that can serve; within the
 * variant, to the healthy instance with the fewest requests in flight.
 *
 * <p>The variants are replaced as a whole (an update moves traffic at once from the old fleet to
 * the new one), so a request sees either the old set or the new one, never a mix.
 */
public final class Endpoint {
    public static final String DEFAULT_VARIANT = "AllTraffic";

    private final String name;
    private volatile List<Variant> variants;
    /** Whether some variant is serverless; read on every request, so kept rather than computed. */
    private volatile boolean serverless;

    Endpoint(String name, List<Variant> variants) {
        this.name = name;
        this.variants = List.copyOf(variants);
        this.serverless = variants.stream().anyMatch(v -> v.serverless() != null);
    }

    public String name() {
        return name;
    }

    public List<Variant> variants() {
        return variants;
    }

    /** Whether some variant is serverless (its bodies are limited to 4 MB). */
    public boolean hasServerless() {
        return serverless;
    }

    public Optional<Variant> variant(String variantName) {
        return variants.stream().filter(v -> v.name().equals(variantName)).findFirst();
    }

    /** Serving: some instance of some variant is healthy, or some variant is serverless. */
    public boolean isInService() {
        return variants.stream().anyMatch(Variant::canServe);
    }

    /** Every instance of every variant is healthy. */
    public boolean allHealthy() {
        return variants.stream().allMatch(Variant::allHealthy);
    }

    /**
     * An instance taken for one request, with the variant it belongs to and when it was taken;
     * release it when done.
     */
    public record Lease(Variant variant, Instance instance, long takenNanos) {
        Lease(Variant variant, Instance instance) {
            this(variant, instance, System.nanoTime());
        }

        public void release() {
            variant.release(instance, System.nanoTime() - takenNanos);
        }
    }

    /**
     * Takes an instance for one request, waiting in the variant's admission line for a place when
     * every instance is full and the line has room; completes at once in the common case.
     *
     * @param targetVariant the variant the request names, or null to draw one by weight
     * @return the lease, or a failure with one of the exceptions {@link #acquire} throws
     */
    public CompletableFuture<Lease> admit(@Nullable String targetVariant) {
        List<Variant> current = variants;
        List<Variant> full = new ArrayList<>();
        try {
            return CompletableFuture.completedFuture(take(current, targetVariant, full));
        } catch (ThrottlingException throttled) {
            Variant waitOn = full.get(0);
            CompletableFuture<Optional<Instance>> waiting = waitOn.awaitPlace();
            if (waiting == null) {
                return CompletableFuture.failedFuture(throttled);
            }
            // A serverless request that waited in vain waited for a start; any other, for a place.
            RuntimeException waitedInVain = waitOn.serverless() != null ? stillStarting(waitOn) : throttled;
            return waiting.thenCompose(
                    place -> place.map(instance -> CompletableFuture.completedFuture(new Lease(waitOn, instance)))
                            .orElseGet(() -> CompletableFuture.failedFuture(waitedInVain)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Takes an instance for one request; never waits.
     *
     * @param targetVariant the variant the request names, or null to draw one by weight
     * @throws ValidationException when the named variant does not exist
     * @throws ModelNotReadyException while the instances are still starting
     * @throws ServiceUnavailableException when they have failed and are being restarted
     * @throws ThrottlingException when every healthy instance of the variant is at its bound
     */
    public Lease acquire(@Nullable String targetVariant) {
        return take(variants, targetVariant, new ArrayList<>());
    }

    /** {@link #acquire}, adding the variants found full to {@code full}, the first drawn first. */
    private Lease take(List<Variant> current, @Nullable String targetVariant, List<Variant> full) {
        if (targetVariant != null) {
            Variant target = current.stream()
                    .filter(v -> v.name().equals(targetVariant))
                    .findFirst()
                    .orElseThrow(() -> new ValidationException("Target variant " + targetVariant
                            + " does not exist on endpoint " + name + "; its variants are "
                            + current.stream().map(Variant::name).collect(Collectors.joining(", ")) + "."));
            Instance instance = target.acquire();
            if (instance == null) {
                if (!target.canServe()) {
                    throw noHealthyInstance(List.of(target));
                }
                full.add(target);
                throw atCapacity(full);
            }
            return new Lease(target, instance);
        }
        // By weight among the variants that can serve; a full one hands the request to the others.
        List<Variant> candidates = new ArrayList<>(current);
        for (Variant drawn = draw(candidates); drawn != null; drawn = draw(candidates)) {
            Instance instance = drawn.acquire();
            if (instance != null) {
                return new Lease(drawn, instance);
            }
            if (drawn.canServe()) {
                full.add(drawn);
            }
            candidates.remove(drawn);
        }
        throw full.isEmpty() ? noHealthyInstance(current) : atCapacity(full);
    }

    /**
     * Takes an instance that has fewer than {@code limit} requests in flight, from the variants in
     * random order weighted by their weights; never waits. Asynchronous invocations are started
     * this way, as many as the instances take.
     *
     * @return null when every healthy instance is at the limit, or none is healthy
     */
    public @Nullable Lease acquireBelow(int limit) {
        List<Variant> current = new ArrayList<>(variants);
        while (!current.isEmpty()) {
            Variant drawn = draw(current);
            if (drawn == null) {
                return null;
            }
            Instance instance = drawn.acquireBelow(limit);
            if (instance != null) {
                return new Lease(drawn, instance);
            }
            current.remove(drawn);
        }
        return null;
    }

    /** How many instances of all variants are healthy. */
    public int healthyInstances() {
        return variants.stream().mapToInt(Variant::healthyInstances).sum();
    }

    /** A variant drawn by weight among those that can serve; all weights 0 means equal shares. */
    private static @Nullable Variant draw(List<Variant> all) {
        List<Variant> serving = new ArrayList<>(all.size());
        double total = 0;
        for (Variant variant : all) {
            if (variant.canServe()) {
                serving.add(variant);
                total += variant.weight();
            }
        }
        if (serving.isEmpty()) {
            return null;
        }
        if (serving.size() == 1) {
            return serving.get(0);
        }
        if (total <= 0) {
            return serving.get(ThreadLocalRandom.current().nextInt(serving.size()));
        }
        double point = ThreadLocalRandom.current().nextDouble(total);
        for (Variant variant : serving) {
            point -= variant.weight();
            if (point < 0) {
                return variant;
            }
        }
        return serving.get(serving.size() - 1);
    }

    private ThrottlingException atCapacity(List<Variant> full) {
        ServerlessScaler serverless = full.get(0).serverless();
        if (serverless != null) {
            return new ThrottlingException(
                    "Endpoint " + name + " is at capacity: serverless variant "
                            + full.get(0).name() + " has " + serverless.admitted()
                            + " request(s) in flight or waiting for an instance to start, its MaxConcurrency of "
                            + serverless.config().maxConcurrency()
                            + " (raise it with UpdateEndpointWeightsAndCapacities"
                            + " and a ServerlessUpdateConfig). The request was refused rather than queued; retry with backoff.");
        }
        String names = full.stream().map(Variant::name).collect(Collectors.joining(", "));
        int inFlight = full.stream().mapToInt(Variant::capacity).sum();
        return new ThrottlingException("Endpoint " + name + " is at capacity: "
                + (full.size() == 1 ? "variant " + names + " has " : "variants " + names + " have ") + inFlight
                + " request(s) in flight, the limit of their instances (set it with " + InFlightLimit.SETTING
                + " in a container's Environment, or add instances). The request was refused rather than queued;"
                + " retry with backoff.");
    }

    private ModelNotReadyException stillStarting(Variant variant) {
        ServerlessScaler serverless = java.util.Objects.requireNonNull(variant.serverless());
        return new ModelNotReadyException("Endpoint " + name + ": serverless variant " + variant.name()
                + " is still starting an instance for this request after "
                + serverless.startupTimeout().toSeconds()
                + " s (ContainerStartupHealthCheckTimeoutInSeconds). Wait and try your request again.");
    }

    private RuntimeException noHealthyInstance(List<Variant> candidates) {
        Variant first = candidates.get(0);
        String why = first.unhealthyContainer();
        if (why == null) {
            // Its instance turned healthy between the routing that found none and this answer.
            why = "an instance of variant " + first.name() + " became healthy just now";
        }
        if (candidates.stream().anyMatch(Variant::hasRestarted)) {
            return new ServiceUnavailableException(
                    "Endpoint " + name + " has no healthy instance: " + why + ". Try again shortly.");
        }
        return new ModelNotReadyException("Endpoint " + name + " is starting: " + why + ". Try again shortly.");
    }

    /** Puts {@code next} in place of the current variants and returns the ones it replaced. */
    List<Variant> replaceVariants(List<Variant> next) {
        List<Variant> previous = variants;
        variants = List.copyOf(next);
        serverless = next.stream().anyMatch(v -> v.serverless() != null);
        return previous;
    }

    void close() {
        variants.forEach(Variant::close);
    }
}
