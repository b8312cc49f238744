package dev.tandem.runtime.builtin;

import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.runtime.ContainerLogs;
import java.util.concurrent.Executor;

/** Runs {@code builtin:NAME} containers: in-process stages, no process and no network hop. */
public final class BuiltinRuntime implements ContainerRuntime {
    private final StageRegistry registry;
    private final Executor blockingExecutor;
    private final ContainerLogs logs;

    /**
     * @param blockingExecutor where stages that may block run (those that declare themselves
     *     non-blocking run on the I/O thread)
     */
    public BuiltinRuntime(StageRegistry registry, Executor blockingExecutor, ContainerLogs logs) {
        this.logs = logs;
        this.registry = registry;
        this.blockingExecutor = blockingExecutor;
    }

    @Override
    public void check(ContainerDefinition container) {
        if (container.image() instanceof ImageRef.Builtin builtin) {
            registry.provider(builtin.name());
        }
    }

    @Override
    public RunningContainer start(LaunchRequest request) {
        if (!(request.container().image() instanceof ImageRef.Builtin builtin)) {
            throw new IllegalArgumentException(
                    "not a builtin image: " + request.container().image());
        }
        StageProvider provider = registry.provider(builtin.name());
        BuiltinContainer container = new BuiltinContainer(request, logs.open(request, 200), provider, blockingExecutor);
        container.start();
        return container;
    }
}
