package dev.tandem.core.engine;

import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.core.stage.StreamCancelledException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * An in-process {@link Stage} as the engine calls it: one that declares itself {@linkplain
 * Stage#nonBlocking() non-blocking} runs on the calling thread, any other on the executor; a
 * streaming or stream-consuming call always runs on the executor, since it blocks while its reader
 * is behind.
 */
final class InProcessStage implements AsyncStage {
    private final Stage stage;
    private final Executor executor;

    InProcessStage(Stage stage, Executor executor) {
        this.stage = stage;
        this.executor = executor;
    }

    @Override
    public CompletionStage<StageResponse> invoke(StageRequest request) {
        if (stage.nonBlocking()) {
            try {
                return CompletableFuture.completedFuture(stage.invoke(request));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        try {
            return CompletableFuture.supplyAsync(() -> stage.invoke(request), executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(refused(e));
        }
    }

    @Override
    public CompletionStage<StreamedResponse> invokeStreaming(StageRequest request) {
        if (!stage.streams()) {
            return invoke(request).thenApply(StreamedResponse::whole);
        }
        StreamWriter out = new StreamWriter();
        return run(out, () -> stage.stream(request, out), null);
    }

    @Override
    public boolean consumesStream() {
        return stage.consumesStream();
    }

    @Override
    public CompletionStage<StreamedResponse> consume(StageRequest request, StreamedResponse upstream) {
        StreamReader in = new StreamReader();
        upstream.parts().subscribe(in);
        StreamWriter out = new StreamWriter();
        return run(out, () -> stage.consume(request, in, out), in);
    }

    /** Runs a streaming call on the executor; its head is the answer's, its end the stream's. */
    private CompletionStage<StreamedResponse> run(StreamWriter out, Runnable call, @Nullable StreamReader in) {
        try {
            executor.execute(() -> {
                try {
                    call.run();
                    out.complete();
                } catch (StreamCancelledException gone) {
                    // Nobody reads the answer any more: nothing to tell anyone.
                } catch (RuntimeException | Error e) {
                    out.fail(e);
                } finally {
                    if (in != null) {
                        // Whatever the stage did not read is not wanted.
                        in.cancel();
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            if (in != null) {
                in.cancel();
            }
            return CompletableFuture.failedFuture(refused(e));
        }
        return out.head();
    }

    // The executor's queue is bounded: past it the request is refused at once.
    private static ThrottlingException refused(RejectedExecutionException e) {
        return new ThrottlingException(
                "Too many requests are waiting for in-process inference; retry with backoff.", e);
    }
}
