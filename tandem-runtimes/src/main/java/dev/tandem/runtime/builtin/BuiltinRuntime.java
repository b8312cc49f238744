package dev.tandem.runtime.builtin;

import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.core.stage.FeatureSource;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.runtime.ContainerLogs;
import java.util.concurrent.Executor;

/** Runs {@code builtin:NAME} containers: in-process stages, no process and no network hop. */
public final class BuiltinRuntime implements ContainerRuntime {
    private final StageRegistry registry;
    private final Executor blockingExecutor;
    private final Executor nativeExecutor;
    private final ContainerLogs logs;
    private final FeatureSource features;

    /**
     * @param blockingExecutor where stages that may block run (those that declare themselves
     *     non-blocking run on the I/O thread)
     * @param nativeExecutor where stages that call native code run: platform threads, bounded
     */
    public BuiltinRuntime(
            StageRegistry registry, Executor blockingExecutor, Executor nativeExecutor, ContainerLogs logs) {
        this(registry, blockingExecutor, nativeExecutor, logs, FeatureSource.NONE);
    }

    /** @param features the feature store stages may read in process */
    public BuiltinRuntime(
            StageRegistry registry,
            Executor blockingExecutor,
            Executor nativeExecutor,
            ContainerLogs logs,
            FeatureSource features) {
        this.features = features;
        this.logs = logs;
        this.registry = registry;
        this.blockingExecutor = blockingExecutor;
        this.nativeExecutor = nativeExecutor;
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
        BuiltinContainer container = new BuiltinContainer(
                request, logs.open(request, 200), provider, blockingExecutor, nativeExecutor, features);
        container.start();
        return container;
    }
}
