package dev.tandem.core.runtime;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a running container stands.
 *
 * @param phase its lifecycle phase
 * @param reason why it is not healthy (the last failure), absent when healthy
 * @param restarts how many times it has been restarted since the instance started
 */
public record ContainerStatus(Phase phase, @Nullable String reason, int restarts) {

    /** A container's lifecycle. Only {@link #HEALTHY} containers take traffic. */
    public enum Phase {
        /** Started; not yet answering {@code /ping} with 200. */
        STARTING,
        /** Answering {@code /ping}; takes traffic. */
        HEALTHY,
        /** Died or stopped answering /ping; being restarted (or, for a remote server, waited for). */
        UNHEALTHY,
        /** Stopped for good: closed, or it cannot be started at all. */
        STOPPED
    }

    public ContainerStatus {
        Objects.requireNonNull(phase, "phase");
    }

    public static ContainerStatus healthy(int restarts) {
        return new ContainerStatus(Phase.HEALTHY, null, restarts);
    }

    public boolean isHealthy() {
        return phase == Phase.HEALTHY;
    }
}
