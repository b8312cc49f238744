package dev.tandem.core.engine;

import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

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
     * Adapts an in-process stage: one that declares itself {@linkplain Stage#nonBlocking()
     * non-blocking} runs on the calling thread, any other on {@code blockingExecutor}.
     */
    static AsyncStage of(Stage stage, Executor blockingExecutor) {
        if (stage.nonBlocking()) {
            return request -> {
                try {
                    return CompletableFuture.completedFuture(stage.invoke(request));
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
            };
        }
        return request -> {
            try {
                return CompletableFuture.supplyAsync(() -> stage.invoke(request), blockingExecutor);
            } catch (RejectedExecutionException e) {
                // The executor's queue is bounded: past it the request is refused at once.
                return CompletableFuture.failedFuture(new ThrottlingException(
                        "Too many requests are waiting for in-process inference; retry with backoff.", e));
            }
        };
    }
}
