package dev.tandem.runtime.oci;

import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.runtime.exec.PortBlock;
import dev.tandem.runtime.exec.ProcessLauncher;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Runs a container image as SageMaker does, in the foreground of the engine's {@code run} so that
 * Tandem's supervisor sees its output, its exit and its stop signal: the container's {@code
 * Environment}, {@code SAGEMAKER_BIND_TO_PORT} and {@code SAGEMAKER_SAFE_PORT_RANGE}, the model
 * read-only at {@code /opt/ml/model}, the argument {@code serve}, and labels naming its server,
 * endpoint, instance and container.
 *
 * <p>An image labelled {@code accept-bind-to-port=true} shares the host network and listens on
 * the port given; any other listens on 8080 in its own network, published on that port of the
 * loopback interface — so single-container "bring your own" images work in pipelines too.
 */
public final class OciLauncher implements ProcessLauncher {
    static final String MODEL_DIR = "/opt/ml/model";
    static final int IMAGE_PORT = 8080;

    private final ContainerEngine engine;
    private final String image;
    private final String serverId;
    private @Nullable Boolean bindsToPort;
    private volatile @Nullable String name;

    /** @param serverId what the container carries as the server label */
    public OciLauncher(ContainerEngine engine, String image, String serverId) {
        this.engine = engine;
        this.image = image;
        this.serverId = serverId;
    }

    @Override
    public ProcessBuilder command(LaunchRequest request, PortBlock ports) throws IOException {
        if (bindsToPort == null) {
            if (!engine.imageExists(image)) {
                engine.pull(image);
            }
            bindsToPort = engine.acceptsBindToPort(image);
        }
        String containerName = ("tandem-" + request.endpointName() + "-" + request.instanceId() + "-"
                        + request.hostname() + "-"
                        + UUID.randomUUID().toString().substring(0, 8))
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9_.-]", "-");
        name = containerName;
        List<String> command = new ArrayList<>(List.of(
                engine.binary(),
                "run",
                "--rm",
                "--name",
                containerName,
                "--label",
                OciRuntime.SERVER_LABEL + "=" + serverId,
                "--label",
                "dev.tandem.endpoint=" + request.endpointName(),
                "--label",
                "dev.tandem.instance=" + request.instanceId(),
                "--label",
                "dev.tandem.container=" + request.hostname(),
                "--volume",
                request.modelDir() + ":" + MODEL_DIR + ":ro"));
        Map<String, String> environment =
                new LinkedHashMap<>(request.container().environment());
        if (Boolean.TRUE.equals(bindsToPort)) {
            command.addAll(List.of("--network", "host"));
            environment.put("SAGEMAKER_BIND_TO_PORT", Integer.toString(ports.bindPort()));
            environment.put("SAGEMAKER_SAFE_PORT_RANGE", ports.safeRange());
        } else {
            command.addAll(List.of("--publish", "127.0.0.1:" + ports.bindPort() + ":" + IMAGE_PORT));
            environment.put("SAGEMAKER_BIND_TO_PORT", Integer.toString(IMAGE_PORT));
        }
        if (request.memoryLimitBytes() > 0) {
            // The engine kills the container past it (exit 137), as SageMaker's serverless memory does.
            command.addAll(List.of("--memory", request.memoryLimitBytes() / (1024 * 1024) + "m"));
        }
        environment.put("SM_MODEL_DIR", MODEL_DIR);
        environment.forEach((key, value) -> command.addAll(List.of("--env", key + "=" + value)));
        command.add(image);
        command.add("serve");
        return new ProcessBuilder(command);
    }

    @Override
    public String describe() {
        return "image " + image;
    }

    /** The engine's {@code run} is gone; make sure its container is too. */
    @Override
    public void afterStop(LaunchRequest request) {
        String containerName = name;
        if (containerName != null) {
            engine.remove(containerName);
        }
    }
}
