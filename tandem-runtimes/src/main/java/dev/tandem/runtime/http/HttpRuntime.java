package dev.tandem.runtime.http;

import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.runtime.ContainerLogs;
import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.runtime.contract.ContractTarget;
import dev.tandem.runtime.contract.HealthProbe;

/**
 * Runs {@code http://} and {@code https://} containers: servers that are already running and
 * implement the contract. Tandem only calls them and watches their {@code /ping}.
 */
public final class HttpRuntime implements ContainerRuntime {
    private final ContractClient client;
    private final RuntimeSettings settings;
    private final ContainerLogs logs;

    public HttpRuntime(ContractClient client, RuntimeSettings settings, ContainerLogs logs) {
        this.logs = logs;
        this.client = client;
        this.settings = settings;
    }

    @Override
    public RunningContainer start(LaunchRequest request) {
        if (!(request.container().image() instanceof ImageRef.Http http)) {
            throw new IllegalArgumentException(
                    "not an http image: " + request.container().image());
        }
        HealthProbe probe = new HealthProbe(client, settings.pingTimeout(), settings.startupPollInterval());
        RemoteContainer container = new RemoteContainer(
                request, logs.open(request, 200), ContractTarget.of(http.baseUrl()), client, probe, settings);
        container.start();
        return container;
    }
}
