package dev.tandem.server.endpoint;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Waiting for newly started instances to become healthy, as endpoints, scaling and transform jobs
 * do: woken by each container status change ({@link StatusChanges}), not by polling.
 */
public final class FleetStartup {
    /** Restarts while starting after which a container is taken to be crashing, not starting. */
    public static final int MAX_RESTARTS = 3;

    private FleetStartup() {}

    /** What is being waited for, seen the same way for whole variants and single instances. */
    private interface Fleet {
        boolean healthy();

        /** Why it can never become healthy, or null while it still may. */
        @Nullable
        String failure();

        /** Which part is not healthy yet, for the timeout's message. */
        String unhealthy();
    }

    /**
     * Waits until every instance of {@code fleet} is healthy; answers why it cannot be — a
     * container stopped for good, one crashing, or {@code timeout} passed — or null once it is.
     *
     * @param cancelled checked at each change; when it turns true the wait ends with "cancelled"
     *     (whoever sets it signals {@code changes})
     */
    public static @Nullable String await(
            List<Variant> fleet, Duration timeout, BooleanSupplier cancelled, StatusChanges changes) {
        return await(
                new Fleet() {
                    @Override
                    public boolean healthy() {
                        return fleet.stream().allMatch(Variant::allHealthy);
                    }

                    @Override
                    public @Nullable String failure() {
                        for (Variant variant : fleet) {
                            String fatal = variant.fatalFailure();
                            if (fatal == null) {
                                fatal = variant.crashingContainer(MAX_RESTARTS);
                            }
                            if (fatal != null) {
                                return fatal;
                            }
                        }
                        return null;
                    }

                    @Override
                    public String unhealthy() {
                        return fleet.stream()
                                .filter(v -> !v.allHealthy())
                                .map(v -> "variant " + v.name() + ": " + v.unhealthyContainer())
                                .findFirst()
                                .orElse("not healthy");
                    }
                },
                timeout,
                cancelled,
                changes);
    }

    /** The same, for instances added to a running variant named {@code variant}. */
    public static @Nullable String awaitInstances(
            String variant, List<Instance> instances, Duration timeout, StatusChanges changes) {
        return await(
                new Fleet() {
                    @Override
                    public boolean healthy() {
                        return instances.stream().allMatch(Instance::isHealthy);
                    }

                    @Override
                    public @Nullable String failure() {
                        for (Instance instance : instances) {
                            String failure = instance.fatalFailure();
                            if (failure == null) {
                                failure = instance.crashingContainer(MAX_RESTARTS);
                            }
                            if (failure != null) {
                                return "variant " + variant + ": " + failure;
                            }
                        }
                        return null;
                    }

                    @Override
                    public String unhealthy() {
                        return "variant " + variant + ": "
                                + instances.stream()
                                        .filter(i -> !i.isHealthy())
                                        .map(i -> String.valueOf(i.unhealthyContainer()))
                                        .findFirst()
                                        .orElse("not healthy");
                    }
                },
                timeout,
                () -> false,
                changes);
    }

    private static @Nullable String await(
            Fleet fleet, Duration timeout, BooleanSupplier cancelled, StatusChanges changes) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            // Read the count before looking, so that a change while looking is not missed.
            long seen = changes.generation();
            if (fleet.healthy()) {
                return null;
            }
            String failure = fleet.failure();
            if (failure != null) {
                return failure;
            }
            if (cancelled.getAsBoolean()) {
                return "cancelled";
            }
            long left = deadline - System.nanoTime();
            try {
                if (left <= 0 || !changes.awaitAfter(seen, Duration.ofNanos(left))) {
                    if (fleet.healthy()) {
                        return null;
                    }
                    return fleet.unhealthy() + " (ContainerStartupHealthCheckTimeoutInSeconds " + timeout.toSeconds()
                            + " s)";
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }
}
