package dev.tandem.runtime.exec;

import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.runtime.ContainerLogs;
import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.runtime.contract.HealthProbe;

/**
 * Starts supervised container processes — {@code exec} programs and OCI engine runs alike — on
 * one shared pool of ports, with one record of running processes for crash recovery.
 */
public final class Supervisor {
    private final ContractClient client;
    private final RuntimeSettings settings;
    private final PortAllocator ports;
    private final ProcessRecords records;
    private final ContainerLogs logs;

    /**
     * @param records where running processes are recorded, so that a server started after a crash
     *     stops the ones left behind
     */
    public Supervisor(ContractClient client, RuntimeSettings settings, ProcessRecords records, ContainerLogs logs) {
        this.client = client;
        this.settings = settings;
        this.ports = new PortAllocator(settings.firstPort(), settings.lastPort());
        this.records = records;
        this.logs = logs;
    }

    public RuntimeSettings settings() {
        return settings;
    }

    /** Starts supervising the process {@code launcher} makes; it is healthy once it answers /ping. */
    public RunningContainer start(LaunchRequest request, ProcessLauncher launcher) {
        HealthProbe probe = new HealthProbe(client, settings.pingTimeout(), settings.startupPollInterval());
        ExecContainer container = new ExecContainer(
                request,
                logs.open(request, ExecContainer.LOG_LINES),
                launcher,
                ports.allocate(),
                ports,
                client,
                probe,
                settings,
                records);
        container.start();
        return container;
    }
}
