package dev.tandem.runtime.builtin;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.engine.StreamedResponse;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.ContainerStatus.Phase;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.stage.FeatureSource;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.runtime.ContainerBase;
import dev.tandem.runtime.ContainerLog;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
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
    private final Executor nativeExecutor;
    private final FeatureSource features;
    private final AsyncStage facade = new Facade();
    /** SageMaker's setting for what a container answers when the request names no Accept. */
    private final @Nullable String defaultAccept;

    private volatile @Nullable Stage stage;
    private volatile @Nullable AsyncStage invoker;

    BuiltinContainer(
            LaunchRequest request,
            ContainerLog log,
            StageProvider provider,
            Executor blockingExecutor,
            Executor nativeExecutor,
            FeatureSource features) {
        super(request, log);
        this.features = features;
        this.provider = provider;
        this.blockingExecutor = blockingExecutor;
        this.nativeExecutor = nativeExecutor;
        this.defaultAccept = request.container().environment().get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT");
        this.loader = Thread.ofVirtual().name("load-" + request.hostname()).unstarted(this::load);
    }

    void start() {
        loader.start();
    }

    private void load() {
        try {
            Stage created = provider.create(new StageContext(
                    request.hostname(), request.modelDir(), request.container().environment(), features));
            stage = created;
            invoker = AsyncStage.of(created, created.callsNativeCode() ? nativeExecutor : blockingExecutor);
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

    /**
     * The stage as the engine sees it: refused until loaded, and for what it does not take (as a
     * container would answer), given SageMaker's default Accept when the request names none.
     */
    private final class Facade implements AsyncStage {
        @Override
        public CompletionStage<StageResponse> invoke(StageRequest request) {
            return call(request, AsyncStage::invoke);
        }

        @Override
        public CompletionStage<StreamedResponse> invokeStreaming(StageRequest request) {
            return call(request, AsyncStage::invokeStreaming);
        }

        @Override
        public boolean consumesStream() {
            Stage built = stage;
            return built != null && built.consumesStream();
        }

        @Override
        public CompletionStage<StreamedResponse> consume(StageRequest request, StreamedResponse upstream) {
            boolean[] handedOver = {false};
            CompletionStage<StreamedResponse> started = call(request, (loaded, ready) -> {
                handedOver[0] = true;
                return loaded.consume(ready, upstream);
            });
            if (!handedOver[0]) {
                // Refused before the stage saw it: nobody will read the stream.
                upstream.discard();
            }
            return started;
        }
    }

    private <T> CompletionStage<T> call(
            StageRequest stageRequest, BiFunction<AsyncStage, StageRequest, CompletionStage<T>> how) {
        AsyncStage loaded = invoker;
        Stage built = stage;
        if (loaded == null || built == null) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("builtin:" + provider.name() + " is not loaded"));
        }
        StageRequest withAccept = stageRequest.accept() == null && defaultAccept != null
                ? new StageRequest(
                        stageRequest.body(),
                        stageRequest.contentType(),
                        defaultAccept,
                        stageRequest.customAttributes(),
                        stageRequest.traceparent())
                : stageRequest;
        StageException refused = refusal(built, withAccept);
        return refused != null ? CompletableFuture.failedFuture(refused) : how.apply(loaded, withAccept);
    }

    /** What a container would answer before reading the body: 415 or 406 when types do not fit. */
    private @Nullable StageException refusal(Stage built, StageRequest stageRequest) {
        String contentType = stageRequest.contentType();
        if (contentType != null && !built.accepts().isEmpty() && !MediaTypes.isOneOf(contentType, built.accepts())) {
            return new StageException(
                    415,
                    "builtin:" + provider.name() + " accepts " + String.join(", ", built.accepts()) + "; got "
                            + contentType);
        }
        String accept = stageRequest.accept();
        if (accept != null
                && !built.produces().isEmpty()
                && MediaTypes.negotiate(accept, built.produces()).isEmpty()) {
            return new StageException(
                    406,
                    "builtin:" + provider.name() + " answers " + String.join(", ", built.produces())
                            + "; the request accepts only " + accept);
        }
        return null;
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
