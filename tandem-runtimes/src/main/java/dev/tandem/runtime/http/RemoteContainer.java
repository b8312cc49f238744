package dev.tandem.runtime.http;

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
import java.net.URI;
import java.util.Optional;

/**
 * A running server reached over HTTP. Tandem cannot restart it, so a watcher only tracks its
 * health: traffic goes to it while it answers {@code /ping} with 200.
 */
final class RemoteContainer extends ContainerBase {
    private final ContractTarget target;
    private final ContractStage stage;
    private final HealthProbe probe;
    private final RuntimeSettings settings;
    private final Thread watcher;
    private volatile boolean closed;

    RemoteContainer(
            LaunchRequest request,
            ContainerLog log,
            ContractTarget target,
            ContractClient client,
            HealthProbe probe,
            RuntimeSettings settings) {
        super(request, log);
        this.target = target;
        this.stage = new ContractStage(client, target, settings.invocationTimeout());
        this.probe = probe;
        this.settings = settings;
        this.watcher = Thread.ofVirtual()
                .name("watch-" + request.instanceId() + "-" + request.hostname())
                .unstarted(this::watch);
    }

    void start() {
        watcher.start();
    }

    private void watch() {
        try {
            while (!closed) {
                if (!probe.awaitHealthy(target, request.startupTimeout(), () -> !closed)) {
                    if (!closed) {
                        String reason = target + " did not answer GET /ping with 200 within "
                                + request.startupTimeout().toSeconds() + " s";
                        log.event(reason);
                        status.set(new ContainerStatus(Phase.UNHEALTHY, reason, 0));
                    }
                    continue;
                }
                log.event(target + " is healthy");
                status.set(ContainerStatus.healthy(0));
                int failed = 0;
                while (!closed && failed < settings.unhealthyThreshold()) {
                    Thread.sleep(settings.healthCheckInterval());
                    failed = probe.isHealthy(target) ? 0 : failed + 1;
                }
                if (!closed) {
                    String reason = target + " failed " + failed + " health checks (GET /ping) in a row";
                    log.event(reason);
                    status.set(new ContainerStatus(Phase.UNHEALTHY, reason, 0));
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    @Override
    public AsyncStage stage() {
        return stage;
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        try {
            watcher.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        status.set(new ContainerStatus(Phase.STOPPED, "stopped", 0));
        log.close();
    }

    @Override
    public Optional<URI> contractUrl() {
        return Optional.of(URI.create(target.toString()));
    }
}
