package dev.tandem.runtime.exec;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs {@code exec:PATH} containers as child processes: PATH is a program, or a folder holding an
 * executable {@code serve}; it is started as {@code PROGRAM serve} in its own folder.
 */
public final class ExecRuntime implements ContainerRuntime {
    private final Supervisor supervisor;

    public ExecRuntime(Supervisor supervisor) {
        this.supervisor = supervisor;
    }

    @Override
    public RunningContainer start(LaunchRequest request) {
        if (!(request.container().image() instanceof ImageRef.Exec exec)) {
            throw new IllegalArgumentException(
                    "not an exec image: " + request.container().image());
        }
        Path program = program(exec, request.hostname());
        checkAllowed(program, request.hostname());
        return supervisor.start(request, new ProgramLauncher(program, sandboxed(request.container())));
    }

    @Override
    public void check(ContainerDefinition container) {
        if (container.image() instanceof ImageRef.Exec exec) {
            checkAllowed(program(exec, container.hostname()), container.hostname());
            sandboxed(container);
        }
    }

    /**
     * Refuses a program outside the folders programs may run from ({@code serve --allow-exec}),
     * when those are set. Compared by real path, so that neither {@code ..} nor a symbolic link
     * leads out of them.
     */
    private void checkAllowed(Path program, String hostname) {
        List<Path> allowed = supervisor.settings().execFolders();
        if (allowed.isEmpty()) {
            return;
        }
        Path real;
        try {
            real = program.toRealPath();
        } catch (IOException e) {
            throw new ValidationException(
                    "Container " + hostname + ": cannot resolve " + program + ": " + e.getMessage());
        }
        for (Path folder : allowed) {
            try {
                if (real.startsWith(folder.toRealPath())) {
                    return;
                }
            } catch (IOException missing) {
                // A folder that does not exist allows nothing.
            }
        }
        throw new ValidationException("Container " + hostname + ": " + real + " is outside the folders this server"
                + " runs programs from (--allow-exec "
                + String.join(", ", allowed.stream().map(Path::toString).toList())
                + ").");
    }

    /**
     * Whether the container runs in a bubblewrap sandbox: its {@code TANDEM_SANDBOX} setting,
     * {@code bubblewrap} or {@code none}, else the server's default.
     */
    private boolean sandboxed(ContainerDefinition container) {
        String choice = container
                .environment()
                .getOrDefault("TANDEM_SANDBOX", supervisor.settings().sandbox() ? "bubblewrap" : "none");
        return switch (choice) {
            case "bubblewrap", "bwrap" -> true;
            case "none" -> false;
            default ->
                throw new ValidationException("Container " + container.hostname() + ": TANDEM_SANDBOX must be"
                        + " bubblewrap or none, got '" + choice + "'");
        };
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
