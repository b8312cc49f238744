package dev.tandem.runtime.exec;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.ContainerStatus.Phase;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.runtime.ContainerBase;
import dev.tandem.runtime.ContainerLog;
import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.runtime.contract.ContractStage;
import dev.tandem.runtime.contract.ContractTarget;
import dev.tandem.runtime.contract.HealthProbe;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One {@code exec} container: a child process kept alive by a supervisor on a virtual thread.
 *
 * <p>The supervisor starts the process, pings it until healthy, then watches it: when it exits or
 * fails {@code unhealthyThreshold} pings in a row it is stopped and started again after a
 * backoff that doubles with each failure in a row. A connection it refused ({@link
 * #connectionRefused()}) makes it unhealthy and has it pinged at once, and while those pings fail,
 * again at the startup poll interval rather than the health-check interval: a container that
 * stopped listening while its process lives on takes no more requests and is replaced in a
 * fraction of a second, not after three intervals; one that answers the ping is healthy again. Closing
 * stops the process — SIGTERM, then SIGKILL after the grace period — together with any process it
 * started.
 */
final class ExecContainer extends ContainerBase {
    /** The exit status of a process killed by SIGKILL (128 + 9), as an engine reports it. */
    private static final int KILLED = 137;

    static final int LOG_LINES = 2000;

    /** Its status's reason from a refused connection until a ping passes or it is restarted. */
    private static final String REFUSED = "refused a connection; checking whether it still listens";

    private final ProcessLauncher launcher;
    private final PortAllocator allocator;
    private final HealthProbe probe;
    private final RuntimeSettings settings;
    /** The container's ports; a restart moves it to new ones when another program took its port. */
    private volatile PortBlock ports;
    /** Where it listens: {@link #ports}' bind port on loopback. */
    private volatile ContractTarget target;

    private final ContractStage stage;
    private final Thread supervisor;
    private final ProcessRecords records;
    private volatile @Nullable Path record;
    private volatile boolean closed;
    /** Whether the current run of the process answered /ping; only the supervisor touches it. */
    private boolean wasHealthy;
    /**
     * Wakes the supervisor of the current run while it waits between health checks: released when
     * the process exits and when a connection to it was refused. Null between runs.
     */
    private volatile @Nullable Semaphore wake;

    private volatile @Nullable Process process;

    ExecContainer(
            LaunchRequest request,
            ContainerLog log,
            ProcessLauncher launcher,
            PortBlock ports,
            PortAllocator allocator,
            ContractClient client,
            HealthProbe probe,
            RuntimeSettings settings,
            ProcessRecords records) {
        super(request, log);
        this.records = records;
        this.launcher = launcher;
        this.ports = ports;
        this.allocator = allocator;
        this.probe = probe;
        this.settings = settings;
        this.target = ContractTarget.loopback(ports.bindPort());
        this.stage = new ContractStage(client, () -> target, settings.invocationTimeout(), this::connectionRefused);
        this.supervisor = Thread.ofVirtual()
                .name("supervisor-" + request.instanceId() + "-" + request.hostname())
                .unstarted(this::supervise);
    }

    void start() {
        supervisor.start();
    }

    @Override
    public AsyncStage stage() {
        return stage;
    }

    /** The port the container listens on; for tests and diagnostics. */
    int port() {
        return target.port();
    }

    private void supervise() {
        int restarts = 0;
        int failuresInRow = 0;
        while (!closed) {
            String failure;
            wasHealthy = false;
            try {
                failure = runOnce(restarts);
            } catch (InterruptedException e) {
                break;
            }
            if (closed) {
                break;
            }
            // A container that was healthy before it failed starts its backoff afresh; one that
            // keeps failing before it ever answers /ping waits longer each time.
            failuresInRow = wasHealthy ? 1 : failuresInRow + 1;
            restarts++;
            Duration delay = settings.backoffFor(failuresInRow);
            log.event(failure + "; restarting in " + delay.toMillis() + " ms");
            status.set(new ContainerStatus(Phase.UNHEALTHY, failure, restarts));
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                break;
            }
        }
        // close() stops the process once this thread is gone, with the interrupt flag clear, so that
        // the container gets its full grace period after SIGTERM.
    }

    /**
     * Starts the process and watches it until it must be restarted.
     *
     * @return why it must be restarted
     */
    // The exit's future ends in releasing the wake-up; nothing waits on it.
    @SuppressWarnings("FutureReturnValueIgnored")
    private String runOnce(int restarts) throws InterruptedException {
        String portTaken = leaveTakenPort();
        if (portTaken != null) {
            return portTaken;
        }
        Process started;
        try {
            started = launch();
        } catch (IOException e) {
            return "could not start " + launcher.describe() + ": " + e.getMessage();
        }
        process = started;
        if (closed) {
            return "closed";
        }
        log.event("started " + launcher.describe() + " (pid " + started.pid() + ", port " + target.port() + ")");
        status.set(new ContainerStatus(Phase.STARTING, null, restarts));
        boolean healthy = probe.awaitHealthy(target, request.startupTimeout(), () -> started.isAlive() && !closed);
        if (!healthy) {
            String why = started.isAlive()
                    ? "did not answer GET /ping with 200 within "
                            + request.startupTimeout().toSeconds() + " s"
                    : exitReason(started);
            stopProcess();
            return why;
        }
        wasHealthy = true;
        log.event("healthy");
        status.set(ContainerStatus.healthy(restarts));
        Semaphore woken = new Semaphore(0);
        wake = woken;
        try {
            started.onExit().thenRun(woken::release);
            return watch(started, woken);
        } finally {
            wake = null;
        }
    }

    /**
     * Watches a healthy process until it must be restarted: it exits, or fails {@code
     * unhealthyThreshold} pings in a row — pinged every health-check interval, or, from a refused
     * connection on until a ping passes, at once and then every startup poll interval.
     *
     * @return why it must be restarted
     */
    private String watch(Process started, Semaphore woken) throws InterruptedException {
        int failedPings = 0;
        boolean refused = false;
        while (!closed) {
            Duration wait = refused ? settings.startupPollInterval() : settings.healthCheckInterval();
            if (woken.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                woken.drainPermits();
                refused = true;
            }
            if (!started.isAlive()) {
                return exitReason(started);
            }
            if (closed) {
                break;
            }
            if (probe.isHealthy(target)) {
                failedPings = 0;
                if (refused) {
                    refused = false;
                    // A refusal it got over (or one meant for the port of its previous run).
                    status.update(
                            current -> current.isHealthy() ? current : ContainerStatus.healthy(current.restarts()));
                }
            } else if (++failedPings >= settings.unhealthyThreshold()) {
                stopProcess();
                return "failed " + failedPings + " health checks (GET /ping) in a row"
                        + (refused ? " after it refused a connection" : "");
            }
        }
        return "closed";
    }

    /**
     * A connection to it was refused although it was healthy: it has gone down, or stopped
     * listening. It is unhealthy from now on, so that every path — real-time, batch, asynchronous —
     * sends its requests elsewhere or waits, until a ping says otherwise; and its supervisor checks
     * it now rather than at its next interval. Runs on the I/O thread that met the refusal.
     */
    private void connectionRefused() {
        status.update(current ->
                current.isHealthy() ? new ContainerStatus(Phase.UNHEALTHY, REFUSED, current.restarts()) : current);
        Semaphore woken = wake;
        if (woken != null) {
            woken.release();
        }
    }

    /**
     * Moves the container to a new block of ports when another program listens on its own: one
     * that took the port while the container was down would otherwise answer its {@code /ping} and
     * be taken for it, and receive its invocations.
     *
     * @return why the container cannot start, or null when it can
     */
    private @Nullable String leaveTakenPort() {
        PortBlock current = ports;
        if (!PortAllocator.listenedOn(current.bindPort())) {
            return null;
        }
        PortBlock fresh;
        try {
            fresh = allocator.allocate();
        } catch (IllegalStateException e) {
            return "another program listens on port " + current.bindPort() + " and " + e.getMessage();
        }
        allocator.release(current);
        ports = fresh;
        target = ContractTarget.loopback(fresh.bindPort());
        log.event("another program listens on port " + current.bindPort() + "; moving to port " + fresh.bindPort());
        return null;
    }

    private Process launch() throws IOException {
        ProcessBuilder builder = launcher.command(request, ports);
        Process started = builder.start();
        record = records.remember(request.instanceId() + "-" + request.hostname(), started.toHandle());
        pump(started.getInputStream(), "stdout", started);
        pump(started.getErrorStream(), "stderr", started);
        started.getOutputStream().close();
        return started;
    }

    private void pump(InputStream stream, String name, Process owner) {
        Thread.ofVirtual()
                .name("log-" + request.hostname() + "-" + name + "-" + owner.pid())
                .start(() -> {
                    try (BufferedReader reader =
                            new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = reader.readLine()) != null) {
                            log.append(name, line);
                        }
                    } catch (IOException e) {
                        // The process is gone; its stream with it.
                    }
                });
    }

    private String exitReason(Process process) {
        try {
            int code = process.waitFor();
            if (code == KILLED && request.memoryLimitBytes() > 0) {
                // What a container engine's memory limit does to a container that passes it.
                return "exited with code " + code + ": killed, likely for going over its memory limit of "
                        + request.memoryLimitBytes() / (1024 * 1024) + " MB (MemorySizeInMB)";
            }
            return "exited with code " + code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "exited";
        }
    }

    /** SIGTERM to the process and everything it started; SIGKILL to what is left after the grace. */
    private void stopProcess() {
        Process running = process;
        if (running == null || !running.isAlive()) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(running.descendants().toList());
        tree.add(running.toHandle());
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + settings.stopGracePeriod().toNanos();
        for (ProcessHandle handle : tree) {
            long left = deadline - System.nanoTime();
            try {
                handle.onExit().get(Math.max(left, 0), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                // Still running after the grace period, or we were interrupted: force it below.
            }
        }
        for (ProcessHandle handle : tree) {
            if (handle.isAlive()) {
                log.event("pid " + handle.pid() + " ignored SIGTERM for "
                        + settings.stopGracePeriod().toSeconds() + " s; sending SIGKILL");
                handle.destroyForcibly();
            }
        }
        try {
            running.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        supervisor.interrupt();
        try {
            supervisor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopProcess();
        launcher.afterStop(request);
        allocator.release(ports);
        Path done = record;
        if (done != null) {
            records.forget(done);
        }
        status.set(new ContainerStatus(Phase.STOPPED, "stopped", status.get().restarts()));
        log.event("stopped");
        log.close();
    }

    @Override
    public Optional<URI> contractUrl() {
        return Optional.of(URI.create(target.toString()));
    }
}
