package dev.tandem.core.engine;

import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Runs one invocation through the stages of one instance — the data-flow rules of the container
 * contract (README, "The container contract").
 *
 * <p>Serial: stage 1 gets the client's body and {@code Content-Type}; stage N+1 gets stage N's
 * body with stage N's response {@code Content-Type}; only the last stage gets the client's {@code
 * Accept}, so intermediate stages answer in their own default format; custom attributes go to
 * every stage and the last stage's come back. The first failing stage stops the chain with a
 * {@link ModelErrorException} naming it.
 *
 * <p>Direct: only the stage the request names runs.
 *
 * <p>The engine is asynchronous: each stage starts when the previous one's answer arrives, on the
 * thread that delivers it, and no thread waits in between. It knows nothing of HTTP or
 * processes; it is stateless and thread-safe.
 */
public final class PipelineEngine {
    /** How much of a failing stage's answer goes into {@code OriginalMessage}. */
    static final int ORIGINAL_MESSAGE_CHARS = 4096;
    /** How much of it goes into the one-line message. */
    static final int MESSAGE_PREVIEW_CHARS = 512;

    private final long maxPayloadBytes;

    /**
     * @param maxPayloadBytes the largest payload one stage may hand to the next
     */
    public PipelineEngine(long maxPayloadBytes) {
        if (maxPayloadBytes <= 0) {
            throw new IllegalArgumentException("maxPayloadBytes must be positive, was " + maxPayloadBytes);
        }
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /**
     * Runs {@code request} through {@code stages}.
     *
     * @param targetContainer the {@code X-Amzn-SageMaker-Target-Container-Hostname} of the request,
     *     required in Direct mode and refused in Serial mode
     * @return completes with the result, or exceptionally with a {@link ValidationException} when
     *     the target container rule is broken or a {@link ModelErrorException} when a stage fails
     */
    public CompletableFuture<InvocationResult> invoke(
            ExecutionMode mode, List<PipelineStage> stages, StageRequest request, @Nullable String targetContainer) {
        try {
            return start(mode, stages, request, targetContainer, false).result;
        } catch (ValidationException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Runs {@code request} through {@code stages} for a client that reads the answer as a stream:
     * the stages before the streaming ones run as {@link #invoke} runs them; the last stage that
     * cannot {@linkplain AsyncStage#consumesStream() consume a stream} streams its answer, and each
     * stage after it transforms that stream as it passes (Direct mode streams the target).
     *
     * @return completes once the answer has started, with its stream, or exceptionally as {@link
     *     #invoke} does when a stage fails before that
     */
    public CompletableFuture<StreamedInvocation> invokeStreaming(
            ExecutionMode mode, List<PipelineStage> stages, StageRequest request, @Nullable String targetContainer) {
        try {
            return start(mode, stages, request, targetContainer, true).streamed;
        } catch (ValidationException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Plans an invocation and starts its first stage.
     *
     * @throws ValidationException when the target container rule is broken
     */
    private Invocation start(
            ExecutionMode mode,
            List<PipelineStage> stages,
            StageRequest request,
            @Nullable String targetContainer,
            boolean streamed) {
        Invocation invocation = plan(mode, stages, request, targetContainer);
        if (streamed) {
            invocation.streamFrom = firstStreaming(invocation.stages);
        }
        invocation.run(0, invocation.first);
        return invocation;
    }

    /** Where a streamed answer starts: the last stage after which every stage consumes streams. */
    private static int firstStreaming(List<PipelineStage> stages) {
        int from = stages.size() - 1;
        while (from > 0 && stages.get(from).stage().consumesStream()) {
            from--;
        }
        return from;
    }

    /** Runs an invocation and waits for it, for callers that may block; errors are thrown. */
    public InvocationResult invokeAndWait(
            ExecutionMode mode, List<PipelineStage> stages, StageRequest request, @Nullable String targetContainer) {
        try {
            return invoke(mode, stages, request, targetContainer).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : new CompletionException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        }
    }

    private Invocation plan(
            ExecutionMode mode, List<PipelineStage> stages, StageRequest request, @Nullable String target) {
        return switch (mode) {
            case SERIAL -> {
                if (target != null) {
                    throw new ValidationException(
                            "The request names target container '" + target + "', but the model runs its"
                                    + " containers in Serial mode; only Direct mode endpoints take"
                                    + " X-Amzn-SageMaker-Target-Container-Hostname.");
                }
                StageRequest first = new StageRequest(
                        request.body(),
                        request.contentType(),
                        stages.size() == 1 ? request.accept() : null,
                        request.customAttributes(),
                        request.traceparent());
                yield new Invocation(stages, request, first);
            }
            case DIRECT -> {
                if (target == null) {
                    throw new ValidationException("The model runs in Direct mode: name the container to invoke with"
                            + " X-Amzn-SageMaker-Target-Container-Hostname (one of " + hostnames(stages) + ").");
                }
                PipelineStage chosen = stages.stream()
                        .filter(stage -> stage.hostname().equals(target))
                        .findFirst()
                        .orElseThrow(() -> new ValidationException("Target container hostname '" + target
                                + "' is not a container of this" + " model (" + hostnames(stages) + ")."));
                yield new Invocation(List.of(chosen), request, request);
            }
        };
    }

    /** One run through a chain of stages; each step is started by the previous one's completion. */
    private final class Invocation {
        final List<PipelineStage> stages;
        final StageRequest client;
        final StageRequest first;
        final List<StageTiming> timings;
        final CompletableFuture<InvocationResult> result = new CompletableFuture<>();
        /** The stream's start, for a streamed invocation. */
        final CompletableFuture<StreamedInvocation> streamed = new CompletableFuture<>();
        /** The first stage that streams; none (past the last) when the client wants the answer whole. */
        int streamFrom = Integer.MAX_VALUE;

        Invocation(List<PipelineStage> stages, StageRequest client, StageRequest first) {
            this.stages = stages;
            this.client = client;
            this.first = first;
            this.timings = new ArrayList<>(stages.size());
        }

        void run(int index, StageRequest request) {
            if (index == streamFrom) {
                stream(index, request);
                return;
            }
            PipelineStage stage = stages.get(index);
            long start = System.nanoTime();
            CompletionStage<StageResponse> call;
            try {
                call = stage.stage().invoke(request);
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e);
            }
            call.whenComplete((response, error) -> {
                // Each step runs after the previous one completed, so the list needs no lock.
                long took = System.nanoTime() - start;
                timings.add(
                        response == null
                                ? new StageTiming(stage.hostname(), took)
                                : new StageTiming(
                                        stage.hostname(), took, response.body().size(), response.contentType()));
                if (error != null) {
                    fail(failure(stage, index == 0, Failures.unwrap(error)));
                } else if (index == stages.size() - 1) {
                    result.complete(new InvocationResult(response, timings));
                } else {
                    next(index, stage, response);
                }
            });
        }

        private void next(int index, PipelineStage stage, StageResponse response) {
            PipelineStage following = stages.get(index + 1);
            if (response.body().size() > maxPayloadBytes) {
                fail(payloadTooLarge(stage, following, response.body().size()));
                return;
            }
            boolean last = index + 1 == stages.size() - 1;
            run(
                    index + 1,
                    new StageRequest(
                            response.body(),
                            response.contentType(),
                            last ? client.accept() : null,
                            client.customAttributes(),
                            client.traceparent()));
        }

        /** Stage {@code index} starts the stream. */
        private void stream(int index, StageRequest request) {
            PipelineStage stage = stages.get(index);
            long start = System.nanoTime();
            CompletionStage<StreamedResponse> call;
            try {
                call = stage.stage().invokeStreaming(request);
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e);
            }
            call.whenComplete((response, error) -> streamStarted(index, start, response, error));
        }

        /** Stage {@code index} transforms the stream of the stage before it. */
        private void consume(int index, StreamedResponse upstream) {
            PipelineStage stage = stages.get(index);
            StageRequest request = new StageRequest(
                    Payload.empty(),
                    upstream.contentType(),
                    index == stages.size() - 1 ? client.accept() : null,
                    client.customAttributes(),
                    client.traceparent());
            long start = System.nanoTime();
            CompletionStage<StreamedResponse> call;
            try {
                call = stage.stage().consume(request, upstream);
            } catch (RuntimeException e) {
                upstream.discard();
                call = CompletableFuture.failedFuture(e);
            }
            call.whenComplete((response, error) -> streamStarted(index, start, response, error));
        }

        private void streamStarted(
                int index, long start, @Nullable StreamedResponse response, @Nullable Throwable error) {
            PipelineStage stage = stages.get(index);
            long took = System.nanoTime() - start;
            if (error != null || response == null) {
                timings.add(new StageTiming(stage.hostname(), took));
                fail(failure(
                        stage,
                        index == 0,
                        Failures.unwrap(error == null ? new IllegalStateException("no answer") : error)));
                return;
            }
            timings.add(new StageTiming(stage.hostname(), took, -1, response.contentType()));
            StreamedResponse named = response.from(stage.hostname());
            if (index == stages.size() - 1) {
                streamed.complete(new StreamedInvocation(named, timings, stages.size() - streamFrom));
            } else {
                consume(index + 1, named);
            }
        }

        private void fail(Throwable error) {
            result.completeExceptionally(error);
            streamed.completeExceptionally(error);
        }
    }

    /**
     * The client's view of a stage's failure: a ModelError naming the stage.
     *
     * @param first whether it is the pipeline's first stage (nothing ran before it)
     */
    private static RuntimeException failure(PipelineStage stage, boolean first, Throwable error) {
        return switch (error) {
            case StageException e -> errorStatus(stage, e.status(), String.valueOf(e.getMessage()), e);
            case StageTimeoutException e ->
                new ModelErrorException(
                        stage.hostname(),
                        null,
                        null,
                        "Your invocation timed out while waiting for a response from container "
                                + stage.hostname() + " (no answer within "
                                + e.timeout().toSeconds()
                                + " seconds). Review the latency of each container, resolve the issue, and try"
                                + " again.",
                        e);
            // Refused: nothing reached the container, which has just gone down (a container that
            // never listened is not routed to). The SDKs retry a 503; a 424 would blame the model.
            case StageUnreachableException e
            when e.beforeSending() -> new ContainerRefusedException(stage.hostname(), first, e);
            case StageUnreachableException e ->
                new ModelErrorException(
                        stage.hostname(),
                        null,
                        null,
                        "Could not reach container " + stage.hostname() + ": " + e.getMessage() + ".",
                        e);
            case TandemException e -> e;
            default -> {
                // A stage that fails without saying how is a server error of that stage, as a crashing
                // container would be.
                String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
                yield errorStatus(stage, 500, message, error);
            }
        };
    }

    private static ModelErrorException errorStatus(PipelineStage stage, int status, String body, Throwable cause) {
        String kind = status < 500 ? "client" : "server";
        String preview = truncate(body, MESSAGE_PREVIEW_CHARS);
        return new ModelErrorException(
                stage.hostname(),
                status,
                truncate(body, ORIGINAL_MESSAGE_CHARS),
                "Received " + kind + " error (" + status + ") from " + stage.hostname() + " with message \"" + preview
                        + "\". See the container's log for more information.",
                cause);
    }

    private ModelErrorException payloadTooLarge(PipelineStage from, PipelineStage to, int size) {
        return new ModelErrorException(
                from.hostname(),
                200,
                null,
                "Received response from " + from.hostname() + " with status code 200. However, the"
                        + " request payload from " + from.hostname() + " to " + to.hostname() + " is " + size
                        + " bytes, which has exceeded the maximum limit of " + maxPayloadBytes + " bytes.",
                null);
    }

    private static String truncate(String text, int maxChars) {
        return text.length() <= maxChars ? text : text.substring(0, maxChars) + "…";
    }

    private static String hostnames(List<PipelineStage> stages) {
        return stages.stream().map(PipelineStage::hostname).collect(Collectors.joining(", "));
    }
}
