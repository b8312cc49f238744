package dev.tandem.runtime.exec;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.runtime.ContainerLogs;
import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.runtime.contract.HealthProbe;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs {@code exec:PATH} containers as child processes: PATH is a program, or a folder holding an
 * executable {@code serve}; it is started as {@code PROGRAM serve} in its own folder (DESIGN §3).
 */
public final class ExecRuntime implements ContainerRuntime {
    private final ContractClient client;
    private final RuntimeSettings settings;
    private final PortAllocator ports;
    private final ProcessRecords records;
    private final ContainerLogs logs;

    /**
     * @param records where running processes are recorded, so that a server started after a crash
     *     stops the ones left behind
     */
    public ExecRuntime(ContractClient client, RuntimeSettings settings, ProcessRecords records, ContainerLogs logs) {
        this.logs = logs;
        this.client = client;
        this.settings = settings;
        this.ports = new PortAllocator(settings.firstPort(), settings.lastPort());
        this.records = records;
    }

    @Override
    public RunningContainer start(LaunchRequest request) {
        if (!(request.container().image() instanceof ImageRef.Exec exec)) {
            throw new IllegalArgumentException(
                    "not an exec image: " + request.container().image());
        }
        Path program = program(exec, request.hostname());
        HealthProbe probe = new HealthProbe(client, settings.pingTimeout(), settings.startupPollInterval());
        ExecContainer container = new ExecContainer(
                request,
                logs.open(request, ExecContainer.LOG_LINES),
                program,
                ports.allocate(),
                ports,
                client,
                probe,
                settings,
                records);
        container.start();
        return container;
    }

    @Override
    public void check(ContainerDefinition container) {
        if (container.image() instanceof ImageRef.Exec exec) {
            program(exec, container.hostname());
        }
    }

    /** Resolves the program to run, refusing what cannot run with a message naming the container. */
    static Path program(ImageRef.Exec exec, String hostname) {
        Path path = exec.path();
        if (Files.isDirectory(path)) {
            path = path.resolve("serve");
            if (!Files.isRegularFile(path)) {
                throw new ValidationException("Container " + hostname + ": " + exec.spec()
                        + " is a folder without a 'serve'" + " program (looked for " + path + ")");
            }
        } else if (!Files.isRegularFile(path)) {
            throw new ValidationException(
                    "Container " + hostname + ": " + exec.spec() + " does not exist (" + path + ")");
        }
        if (!Files.isExecutable(path)) {
            throw new ValidationException("Container " + hostname + ": " + path + " is not executable (chmod +x it)");
        }
        return path;
    }
}
