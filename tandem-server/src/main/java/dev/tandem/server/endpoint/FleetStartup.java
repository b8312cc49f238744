package dev.tandem.server.endpoint;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/** Waiting for newly started variants to become healthy, as endpoints and transform jobs do. */
public final class FleetStartup {
    /** Restarts while starting after which a container is taken to be crashing, not starting. */
    public static final int MAX_RESTARTS = 3;

    private FleetStartup() {}

    /**
     * Waits until every instance of {@code fleet} is healthy; answers why it cannot be — a
     * container stopped for good, one crashing, or {@code timeout} passed — or null once it is.
     *
     * @param cancelled checked while waiting; when it turns true the wait ends with "cancelled"
     */
    public static @Nullable String await(List<Variant> fleet, Duration timeout, BooleanSupplier cancelled) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!fleet.stream().allMatch(Variant::allHealthy)) {
            for (Variant variant : fleet) {
                String fatal = variant.fatalFailure();
                if (fatal == null) {
                    fatal = variant.crashingContainer(MAX_RESTARTS);
                }
                if (fatal != null) {
                    return fatal;
                }
            }
            if (System.nanoTime() > deadline) {
                String why = fleet.stream()
                        .filter(v -> !v.allHealthy())
                        .map(v -> "variant " + v.name() + ": " + v.unhealthyContainer())
                        .findFirst()
                        .orElse("not healthy");
                return why + " (ContainerStartupHealthCheckTimeoutInSeconds " + timeout.toSeconds() + " s)";
            }
            if (cancelled.getAsBoolean()) {
                return "cancelled";
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return null;
    }
}
