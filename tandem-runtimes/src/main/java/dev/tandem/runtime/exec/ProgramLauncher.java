package dev.tandem.runtime.exec;

import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.LaunchRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Starts an {@code exec} container's program as {@code PROGRAM serve} in its own folder, with the
 * contract environment; with {@code sandboxed}, inside bubblewrap, where the program sees
 * SageMaker's layout — itself at {@code /opt/program}, its model read-only at {@code
 * /opt/ml/model}, a private {@code /tmp} — and the host's network.
 */
public final class ProgramLauncher implements ProcessLauncher {
    static final String SANDBOX_PROGRAM_DIR = "/opt/program";
    static final String SANDBOX_MODEL_DIR = "/opt/ml/model";

    private final Path program;
    private final boolean sandboxed;

    ProgramLauncher(Path program, boolean sandboxed) {
        this.program = program;
        this.sandboxed = sandboxed;
    }

    /** The launcher of an {@code exec:} image, its program checked as a pipeline's would be. */
    public static ProgramLauncher of(ImageRef.Exec image, String hostname, boolean sandboxed) {
        return new ProgramLauncher(ExecRuntime.program(image, hostname), sandboxed);
    }

    @Override
    public ProcessBuilder command(LaunchRequest request, PortBlock ports) {
        // ExecRuntime resolved the program to a file, so it has a folder.
        Path folder = Objects.requireNonNull(program.toAbsolutePath().getParent());
        List<String> command = new ArrayList<>();
        String modelDir = request.modelDir().toString();
        if (sandboxed) {
            modelDir = SANDBOX_MODEL_DIR;
            command.addAll(List.of(
                    "bwrap",
                    "--ro-bind",
                    "/",
                    "/",
                    "--dev",
                    "/dev",
                    "--proc",
                    "/proc",
                    "--tmpfs",
                    "/tmp",
                    "--tmpfs",
                    "/opt",
                    "--ro-bind",
                    folder.toString(),
                    SANDBOX_PROGRAM_DIR,
                    "--ro-bind",
                    request.modelDir().toString(),
                    SANDBOX_MODEL_DIR,
                    "--chdir",
                    SANDBOX_PROGRAM_DIR,
                    "--die-with-parent",
                    "--",
                    SANDBOX_PROGRAM_DIR + "/" + program.getFileName(),
                    "serve"));
        } else {
            command.addAll(List.of(program.toString(), "serve"));
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(folder.toFile());
        Map<String, String> env = builder.environment();
        env.putAll(request.container().environment());
        env.put("SAGEMAKER_BIND_TO_PORT", Integer.toString(ports.bindPort()));
        env.put("SAGEMAKER_SAFE_PORT_RANGE", ports.safeRange());
        env.put("SM_MODEL_DIR", modelDir);
        return builder;
    }

    @Override
    public String describe() {
        return (sandboxed ? "bwrap " : "") + program + " serve";
    }
}
