package dev.tandem.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How runtimes treat containers: timeouts, health checking, restarts, ports. Defaults follow
 * SageMaker's contract numbers.
 *
 * @param invocationTimeout how long a container has to answer {@code /invocations} (60 s)
 * @param pingTimeout how long a container has to answer {@code /ping} (2 s)
 * @param startupPollInterval how often {@code /ping} is tried while a container starts
 * @param healthCheckInterval how often a healthy container is pinged
 * @param unhealthyThreshold failed pings in a row after which a healthy container is restarted
 * @param restartBackoff the delay before restarting a failed container, doubling per failure
 * @param maxRestartBackoff the longest such delay
 * @param stopGracePeriod how long a container has to exit after SIGTERM before SIGKILL (30 s)
 * @param firstPort the first port containers may use ({@code SAGEMAKER_BIND_TO_PORT} and {@code
 *     SAGEMAKER_SAFE_PORT_RANGE})
 * @param lastPort the last such port
 * @param maxConnectionsPerContainer the size of the connection pool to each container, on each event
 *     loop (each keeps its own)
 * @param sandbox whether {@code exec} containers run in a bubblewrap sandbox by default (off; a
 *     container's {@code TANDEM_SANDBOX} setting overrides it)
 * @param execFolders the folders {@code exec:} programs may be run from, their subfolders
 *     included; empty for anywhere (the default)
 */
public record RuntimeSettings(
        Duration invocationTimeout,
        Duration pingTimeout,
        Duration startupPollInterval,
        Duration healthCheckInterval,
        int unhealthyThreshold,
        Duration restartBackoff,
        Duration maxRestartBackoff,
        Duration stopGracePeriod,
        int firstPort,
        int lastPort,
        int maxConnectionsPerContainer,
        boolean sandbox,
        List<Path> execFolders) {

    public RuntimeSettings {
        positive(invocationTimeout, "invocation-timeout");
        positive(pingTimeout, "ping-timeout");
        positive(startupPollInterval, "startup-poll-interval");
        positive(healthCheckInterval, "health-check-interval");
        positive(restartBackoff, "restart-backoff");
        positive(maxRestartBackoff, "max-restart-backoff");
        Objects.requireNonNull(stopGracePeriod, "stop-grace-period");
        execFolders = execFolders.stream()
                .map(folder -> folder.toAbsolutePath().normalize())
                .toList();
        if (unhealthyThreshold < 1) {
            throw new IllegalArgumentException("unhealthy-threshold must be at least 1, was " + unhealthyThreshold);
        }
        if (firstPort < 1024 || lastPort > 65535 || lastPort - firstPort < 63) {
            throw new IllegalArgumentException(
                    "container ports must be a range of at least 64 ports within 1024-65535, was " + firstPort + "-"
                            + lastPort);
        }
        if (maxConnectionsPerContainer < 1) {
            throw new IllegalArgumentException(
                    "max-connections-per-container must be at least 1, was " + maxConnectionsPerContainer);
        }
    }

    public static RuntimeSettings defaults() {
        return new RuntimeSettings(
                Duration.ofSeconds(60),
                Duration.ofSeconds(2),
                Duration.ofMillis(100),
                Duration.ofSeconds(5),
                3,
                Duration.ofSeconds(1),
                Duration.ofSeconds(30),
                Duration.ofSeconds(30),
                20_000,
                32_767,
                256,
                false,
                List.of());
    }

    public RuntimeSettings withInvocationTimeout(Duration timeout) {
        return edit(d -> d.invocationTimeout = timeout);
    }

    public RuntimeSettings withHealthChecks(Duration interval, int threshold) {
        return edit(d -> {
            d.healthCheckInterval = interval;
            d.unhealthyThreshold = threshold;
        });
    }

    public RuntimeSettings withRestartBackoff(Duration initial, Duration max) {
        return edit(d -> {
            d.restartBackoff = initial;
            d.maxRestartBackoff = max;
        });
    }

    public RuntimeSettings withStopGracePeriod(Duration grace) {
        return edit(d -> d.stopGracePeriod = grace);
    }

    public RuntimeSettings withSandbox(boolean value) {
        return edit(d -> d.sandbox = value);
    }

    public RuntimeSettings withExecFolders(List<Path> value) {
        return edit(d -> d.execFolders = value);
    }

    /** A copy with the changes {@code change} makes, validated like any other. */
    private RuntimeSettings edit(java.util.function.Consumer<Draft> change) {
        Draft draft = new Draft(this);
        change.accept(draft);
        return new RuntimeSettings(
                draft.invocationTimeout,
                pingTimeout,
                startupPollInterval,
                draft.healthCheckInterval,
                draft.unhealthyThreshold,
                draft.restartBackoff,
                draft.maxRestartBackoff,
                draft.stopGracePeriod,
                firstPort,
                lastPort,
                maxConnectionsPerContainer,
                draft.sandbox,
                draft.execFolders);
    }

    /** The components the withers change. */
    private static final class Draft {
        Duration invocationTimeout;
        Duration healthCheckInterval;
        int unhealthyThreshold;
        Duration restartBackoff;
        Duration maxRestartBackoff;
        Duration stopGracePeriod;
        boolean sandbox;
        List<Path> execFolders;

        Draft(RuntimeSettings from) {
            invocationTimeout = from.invocationTimeout;
            healthCheckInterval = from.healthCheckInterval;
            unhealthyThreshold = from.unhealthyThreshold;
            restartBackoff = from.restartBackoff;
            maxRestartBackoff = from.maxRestartBackoff;
            stopGracePeriod = from.stopGracePeriod;
            sandbox = from.sandbox;
            execFolders = from.execFolders;
        }
    }

    /** The delay before the {@code failures}-th restart in a row (1-based): doubling, capped. */
    public Duration backoffFor(int failures) {
        int doublings = Math.min(Math.max(failures - 1, 0), 20);
        Duration delay = restartBackoff.multipliedBy(1L << doublings);
        return delay.compareTo(maxRestartBackoff) > 0 ? maxRestartBackoff : delay;
    }

    private static void positive(Duration value, String key) {
        Objects.requireNonNull(value, key);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, was " + value);
        }
    }
}
