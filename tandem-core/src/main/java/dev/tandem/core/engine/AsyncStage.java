package dev.tandem.core.engine;

import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * How the engine calls one stage: asynchronously, so that a request waiting on containers holds
 * no thread. Containers reached over HTTP answer on the I/O threads; in-process {@link Stage}s are
 * adapted by {@link #of}.
 */
@FunctionalInterface
public interface AsyncStage {

    /**
     * Starts the stage on {@code request}; the returned stage completes with its response, or
     * exceptionally as {@link Stage#invoke} would throw.
     */
    CompletionStage<StageResponse> invoke(StageRequest request);

    /**
     * This stage for one invocation that runs under {@code limits} instead of the real-time
     * settings: a container reached over HTTP answers within the invocation's deadline and has
     * large answers spooled to files. In-process stages have no such settings and stay as they are.
     */
    default AsyncStage within(InvocationLimits limits) {
        return this;
    }

    /**
     * Starts the stage on {@code request} for a streamed invocation: completes with the answer's
     * head once the stage has started answering, its parts to follow. By default the whole answer,
     * as one part.
     */
    default CompletionStage<StreamedResponse> invokeStreaming(StageRequest request) {
        return invoke(request).thenApply(StreamedResponse::whole);
    }

    /** Whether this stage takes the previous stage's answer as a stream ({@link #consume}). */
    default boolean consumesStream() {
        return false;
    }

    /**
     * Starts the stage on the previous stage's streamed answer: {@code request} carries its content
     * type and the client's headers, with an empty body; {@code upstream}'s parts follow.
     */
    default CompletionStage<StreamedResponse> consume(StageRequest request, StreamedResponse upstream) {
        upstream.discard();
        return CompletableFuture.failedFuture(new UnsupportedOperationException("this stage does not consume streams"));
    }

    /**
     * Adapts an in-process stage: one that declares itself {@linkplain Stage#nonBlocking()
     * non-blocking} runs on the calling thread, any other on {@code blockingExecutor}.
     */
    static AsyncStage of(Stage stage, Executor blockingExecutor) {
        return new InProcessStage(stage, blockingExecutor);
    }
}
