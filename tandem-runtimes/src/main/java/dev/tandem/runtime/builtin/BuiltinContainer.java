package dev.tandem.runtime.builtin;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.ContainerStatus.Phase;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.runtime.ContainerBase;
import dev.tandem.runtime.ContainerLog;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * An in-process stage for one instance. It is built on a virtual thread (loading a model can take
 * a while) and is healthy once built; a provider that fails leaves the container stopped with the
 * failure as its reason.
 */
final class BuiltinContainer extends ContainerBase {
    private final StageProvider provider;
    private final Thread loader;
    private final Executor blockingExecutor;
    private final AsyncStage facade = this::invoke;
    private volatile @Nullable Stage stage;
    private volatile @Nullable AsyncStage invoker;

    BuiltinContainer(LaunchRequest request, ContainerLog log, StageProvider provider, Executor blockingExecutor) {
        super(request, log);
        this.provider = provider;
        this.blockingExecutor = blockingExecutor;
        this.loader = Thread.ofVirtual().name("load-" + request.hostname()).unstarted(this::load);
    }

    void start() {
        loader.start();
    }

    private void load() {
        try {
            Stage created = provider.create(new StageContext(
                    request.hostname(), request.modelDir(), request.container().environment()));
            stage = created;
            invoker = AsyncStage.of(created, blockingExecutor);
            log.event("loaded builtin:" + provider.name());
            status.set(ContainerStatus.healthy(0));
        } catch (Exception | LinkageError e) {
            String reason = "builtin:" + provider.name() + " failed to load: " + e.getMessage();
            log.event(reason);
            status.set(new ContainerStatus(Phase.STOPPED, reason, 0));
        }
    }

    @Override
    public AsyncStage stage() {
        return facade;
    }

    private CompletionStage<StageResponse> invoke(StageRequest stageRequest) {
        AsyncStage loaded = invoker;
        if (loaded == null) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("builtin:" + provider.name() + " is not loaded"));
        }
        return loaded.invoke(stageRequest);
    }

    @Override
    public void close() {
        try {
            loader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Stage loaded = stage;
        if (loaded != null) {
            try {
                loaded.close();
            } catch (RuntimeException e) {
                log.event("close failed: " + e.getMessage());
            }
        }
        status.set(new ContainerStatus(Phase.STOPPED, "stopped", 0));
        log.close();
    }
}
