package dev.tandem.runtime.oci;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The OCI engine Tandem drives through its command line: Podman or Docker, which share the
 * commands Tandem uses ({@code image exists}/{@code image inspect}, {@code pull}, {@code run},
 * {@code ps}, {@code rm}).
 */
public final class ContainerEngine {
    /** SageMaker's image label for containers that listen on {@code SAGEMAKER_BIND_TO_PORT}. */
    public static final String BIND_TO_PORT_LABEL = "com.amazonaws.sagemaker.capabilities.accept-bind-to-port";

    private final String binary;

    public ContainerEngine(String binary) {
        this.binary = binary;
    }

    /**
     * The engine named by {@code TANDEM_CONTAINER_ENGINE} ({@code podman}, {@code docker} or a
     * path), else the first of podman and docker found on the PATH.
     */
    public static Optional<ContainerEngine> detect(Map<String, String> environment) {
        String chosen = environment.get("TANDEM_CONTAINER_ENGINE");
        if (chosen != null && !chosen.isBlank()) {
            return Optional.of(new ContainerEngine(chosen.strip()));
        }
        String path = environment.getOrDefault("PATH", "");
        for (String candidate : List.of("podman", "docker")) {
            for (String folder : path.split(File.pathSeparator, -1)) {
                if (!folder.isEmpty() && Files.isExecutable(Path.of(folder, candidate))) {
                    return Optional.of(new ContainerEngine(candidate));
                }
            }
        }
        return Optional.empty();
    }

    public String binary() {
        return binary;
    }

    public boolean imageExists(String image) throws IOException {
        return run(List.of("image", "inspect", "--format", "{{.Id}}", image), Duration.ofSeconds(30))
                        .exitCode()
                == 0;
    }

    /** Pulls {@code image} (private registries through the engine's own login). */
    public void pull(String image) throws IOException {
        Result result = run(List.of("pull", image), Duration.ofMinutes(30));
        if (result.exitCode() != 0) {
            throw new IOException("cannot pull image " + image + ": " + result.lastLine());
        }
    }

    /** Whether the image carries SageMaker's accept-bind-to-port label set to true. */
    public boolean acceptsBindToPort(String image) throws IOException {
        Result result = run(
                List.of(
                        "image",
                        "inspect",
                        "--format",
                        "{{ index .Config.Labels \"" + BIND_TO_PORT_LABEL + "\" }}",
                        image),
                Duration.ofSeconds(30));
        return result.exitCode() == 0 && result.output().strip().equals("true");
    }

    /** Removes a container, running or not; quietly, since it may be gone already. */
    public void remove(String name) {
        try {
            run(List.of("rm", "--force", name), Duration.ofSeconds(60));
        } catch (IOException e) {
            // nothing to remove, or no engine left to ask
        }
    }

    /** Removes every container carrying {@code label=value}; answers how many there were. */
    public int removeLabelled(String label, String value) throws IOException {
        Result listed = run(
                List.of("ps", "--all", "--quiet", "--filter", "label=" + label + "=" + value), Duration.ofSeconds(30));
        if (listed.exitCode() != 0) {
            throw new IOException(binary + " ps failed: " + listed.lastLine());
        }
        List<String> ids = listed.output()
                .lines()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
        for (String id : ids) {
            remove(id);
        }
        return ids.size();
    }

    /** What one engine command printed (stdout and stderr together) and its exit code. */
    record Result(int exitCode, String output) {
        String lastLine() {
            List<String> lines = output.strip().lines().toList();
            return lines.isEmpty() ? "exit code " + exitCode : lines.get(lines.size() - 1);
        }
    }

    Result run(List<String> arguments, Duration timeout) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(binary);
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        // Read on the side, so that the timeout holds even when the command prints nothing.
        CompletableFuture<String> output = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                output.complete(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.complete("");
            }
        });
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(
                        String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(process.exitValue(), output.get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            return new Result(process.exitValue(), "");
        }
    }
}
