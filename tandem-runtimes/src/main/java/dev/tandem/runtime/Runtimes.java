package dev.tandem.runtime;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import java.util.Objects;

/** Picks the runtime for a container from its {@code Image} (DESIGN §2) and starts it there. */
public final class Runtimes implements ContainerRuntime {
    private final ContainerRuntime exec;
    private final ContainerRuntime http;
    private final ContainerRuntime builtin;

    public Runtimes(ContainerRuntime exec, ContainerRuntime http, ContainerRuntime builtin) {
        this.exec = Objects.requireNonNull(exec, "exec");
        this.http = Objects.requireNonNull(http, "http");
        this.builtin = Objects.requireNonNull(builtin, "builtin");
    }

    @Override
    public RunningContainer start(LaunchRequest request) {
        ImageRef image = request.container().image();
        return switch (image) {
            case ImageRef.Exec e -> exec.start(request);
            case ImageRef.Http h -> http.start(request);
            case ImageRef.Builtin b -> builtin.start(request);
            case ImageRef.Oci oci ->
                throw new ValidationException("Container " + request.hostname() + ": image " + oci.spec()
                        + " would need an OCI engine (Docker or Podman), which this server does not run"
                        + " yet; use exec:PATH, http://HOST:PORT or builtin:NAME");
        };
    }
}
