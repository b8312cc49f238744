package dev.tandem.runtime.oci;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.runtime.exec.Supervisor;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs container images ({@code Image} that is not {@code exec:}, {@code http(s):} or {@code
 * builtin:}) with Docker or Podman, supervised like {@code exec} containers: {@code /ping} until
 * healthy, restarts with backoff, output captured, stopped with the server.
 */
public final class OciRuntime implements ContainerRuntime {
    /** Ties a container to the server (data dir) that started it. */
    public static final String SERVER_LABEL = "dev.tandem.server";

    private static final Logger LOG = LoggerFactory.getLogger(OciRuntime.class);

    private final Supervisor supervisor;
    private final Optional<ContainerEngine> engine;
    private final String serverId;

    /**
     * @param serverId what this server's containers carry as {@link #SERVER_LABEL}; containers with
     *     it that a previous run left behind are removed now
     */
    public OciRuntime(Supervisor supervisor, Optional<ContainerEngine> engine, String serverId) {
        this.supervisor = supervisor;
        this.engine = engine;
        this.serverId = serverId;
        engine.ifPresent(found -> {
            try {
                int removed = found.removeLabelled(SERVER_LABEL, serverId);
                if (removed > 0) {
                    LOG.warn("Removed {} container(s) a previous server left behind", removed);
                }
            } catch (IOException e) {
                // Most often a Docker whose daemon is not running: nothing of ours can be left
                // running in it then, and only image containers need it. Not a warning for every
                // start of a server that runs none.
                LOG.info(
                        "{} does not answer, so containers of images cannot start until it does"
                                + " (exec:, http: and builtin: containers do not need it): {}",
                        found.binary(),
                        e.getMessage());
            }
        });
    }

    @Override
    public void check(ContainerDefinition container) {
        engine(container);
    }

    @Override
    public RunningContainer start(LaunchRequest request) {
        ContainerEngine found = engine(request.container());
        ImageRef.Oci image = (ImageRef.Oci) request.container().image();
        return supervisor.start(request, new OciLauncher(found, image.spec(), serverId));
    }

    private ContainerEngine engine(ContainerDefinition container) {
        if (!(container.image() instanceof ImageRef.Oci oci)) {
            throw new IllegalArgumentException("not an OCI image: " + container.image());
        }
        return engine.orElseThrow(() -> new ValidationException("Container " + container.hostname() + ": image "
                + oci.spec() + " needs Docker or Podman, and neither was found on the PATH (or set"
                + " TANDEM_CONTAINER_ENGINE); exec:PATH, http://HOST:PORT and builtin:NAME need neither"));
    }
}
