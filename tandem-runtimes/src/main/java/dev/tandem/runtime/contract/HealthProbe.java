package dev.tandem.runtime.contract;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Pings a container's {@code /ping}: healthy means 200, as in SageMaker. */
public final class HealthProbe {
    /** The first wait between two pings of a starting container. */
    static final Duration FIRST_WAIT = Duration.ofMillis(2);

    private final ContractClient client;
    private final Duration pingTimeout;
    private final Duration pollInterval;

    public HealthProbe(ContractClient client, Duration pingTimeout, Duration pollInterval) {
        this.client = client;
        this.pingTimeout = pingTimeout;
        this.pollInterval = pollInterval;
    }

    public boolean isHealthy(ContractTarget target) {
        return client.ping(target, pingTimeout) == 200;
    }

    /**
     * Pings until the container answers 200, {@code timeout} passes, or {@code keepTrying} turns
     * false (the process died, the container was closed). The pings start {@link #FIRST_WAIT}
     * apart and the wait doubles up to the poll interval: a container that is up in 30 ms is
     * seen at once — a cold start waits on this — while a slow one is not pinged needlessly often.
     *
     * @return whether the container became healthy
     */
    public boolean awaitHealthy(ContractTarget target, Duration timeout, BooleanSupplier keepTrying)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long wait = Math.min(FIRST_WAIT.toMillis(), pollInterval.toMillis());
        while (keepTrying.getAsBoolean()) {
            if (isHealthy(target)) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            Thread.sleep(Math.min(wait, Math.max(1, left / 1_000_000)));
            wait = Math.min(wait * 2, pollInterval.toMillis());
        }
        return false;
    }
}
