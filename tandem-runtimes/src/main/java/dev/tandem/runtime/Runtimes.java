package dev.tandem.runtime;

import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import java.util.Objects;

/** Picks the runtime for a container from its {@code Image} and starts it there. */
public final class Runtimes implements ContainerRuntime {
    private final ContainerRuntime exec;
    private final ContainerRuntime http;
    private final ContainerRuntime builtin;
    private final ContainerRuntime oci;

    public Runtimes(ContainerRuntime exec, ContainerRuntime http, ContainerRuntime builtin, ContainerRuntime oci) {
        this.exec = Objects.requireNonNull(exec, "exec");
        this.http = Objects.requireNonNull(http, "http");
        this.builtin = Objects.requireNonNull(builtin, "builtin");
        this.oci = Objects.requireNonNull(oci, "oci");
    }

    @Override
    public RunningContainer start(LaunchRequest request) {
        return runtimeFor(request.container()).start(request);
    }

    @Override
    public void check(ContainerDefinition container) {
        runtimeFor(container).check(container);
    }

    private ContainerRuntime runtimeFor(ContainerDefinition container) {
        return switch (container.image()) {
            case ImageRef.Exec e -> exec;
            case ImageRef.Http h -> http;
            case ImageRef.Builtin b -> builtin;
            case ImageRef.Oci o -> oci;
        };
    }
}
