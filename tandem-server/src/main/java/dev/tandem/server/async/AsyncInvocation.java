package dev.tandem.server.async;

import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.InvocationLimits;
import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.engine.PipelineEngine;
import dev.tandem.core.engine.PipelineStage;
import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.engine.StageUnreachableException;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.runtime.storage.Location;
import dev.tandem.runtime.storage.Locations;
import dev.tandem.server.endpoint.Endpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One attempt at one asynchronous request on one instance: fetch the input (streamed to a work
 * folder, never into memory), run the pipeline under the request's deadline with large answers
 * spooled to disk, and say how it ended. It writes no result and changes no state: {@link
 * AsyncInference} does, from the {@link Outcome}.
 */
final class AsyncInvocation {
    /** Answers up to this size stay in memory; larger ones are spooled to the work folder. */
    static final int IN_MEMORY_ANSWER = 1024 * 1024;
    /** SageMaker's limit for an asynchronous payload. */
    static final long MAX_PAYLOAD = 1L << 30;
    /** What the invocation may overrun its deadline by before it is given up as hung. */
    private static final Duration GRACE = Duration.ofSeconds(10);

    /** How an attempt ended. */
    sealed interface Outcome {
        /** The pipeline answered. */
        record Answered(Payload body, @Nullable String contentType) implements Outcome {}

        /** The request failed for good. {@code errorAnswer} is the container's answer, if it gave one. */
        record Failed(String reason, @Nullable Payload errorAnswer, boolean inputUnavailable) implements Outcome {}

        /** The instance could not serve it (a container crashed or went away): try again elsewhere. */
        record Retry(String reason) implements Outcome {}
    }

    private final PipelineEngine engine;
    private final Locations locations;

    AsyncInvocation(PipelineEngine engine, Locations locations) {
        this.engine = engine;
        this.locations = locations;
    }

    Outcome run(AsyncRequest request, Endpoint.Lease lease, Path workDir) {
        Payload input;
        try {
            input = input(request, workDir);
        } catch (IOException | RuntimeException e) {
            return new Outcome.Failed(
                    "ClientError: Could not read the input " + request.inputDescription() + ": " + e.getMessage(),
                    null,
                    true);
        }
        long deadline = System.nanoTime() + request.invocationTimeout().toNanos();
        InvocationLimits limits = new InvocationLimits(deadline, workDir, IN_MEMORY_ANSWER, MAX_PAYLOAD);
        List<PipelineStage> stages = lease.instance().stages().stream()
                .map(stage -> new PipelineStage(stage.hostname(), stage.stage().within(limits)))
                .toList();
        StageRequest stageRequest =
                new StageRequest(input, request.contentType(), request.accept(), request.customAttributes());
        try {
            InvocationResult result = engine.invoke(lease.variant().model().mode(), stages, stageRequest, null)
                    .get(request.invocationTimeout().plus(GRACE).toMillis(), TimeUnit.MILLISECONDS);
            return new Outcome.Answered(
                    result.response().body(), result.response().contentType());
        } catch (ExecutionException e) {
            return failure(request, Failures.unwrap(e), deadline);
        } catch (TimeoutException e) {
            return timedOut(request);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Retry("the server stopped while the request ran");
        }
    }

    private Payload input(AsyncRequest request, Path workDir) throws IOException {
        if (request.inlineBody() != null) {
            return request.inlineBody();
        }
        Location input = Objects.requireNonNull(request.input());
        if (input instanceof Location.Local local) {
            Path file = local.asPath();
            if (!Files.isRegularFile(file)) {
                throw new IOException(input + " does not exist");
            }
            return checked(file, Files.size(file));
        }
        Path file = workDir.resolve("input.body");
        locations.download(input, file);
        return checked(file, Files.size(file));
    }

    private static Payload checked(Path file, long size) throws IOException {
        if (size > MAX_PAYLOAD) {
            throw new IOException(
                    "it is " + size + " bytes; an asynchronous payload is at most " + MAX_PAYLOAD + " bytes");
        }
        return Payload.spooled(file, size);
    }

    private static Outcome failure(AsyncRequest request, Throwable error, long deadline) {
        Throwable cause = error.getCause();
        if (cause instanceof StageTimeoutException || System.nanoTime() - deadline >= 0) {
            return timedOut(request);
        }
        if (cause instanceof StageUnreachableException || error instanceof ServiceUnavailableException) {
            return new Outcome.Retry(error.getMessage() == null ? error.toString() : error.getMessage());
        }
        if (error instanceof ModelErrorException model) {
            Payload answer = model.originalMessage() == null ? null : Payload.utf8(model.originalMessage());
            return new Outcome.Failed("ClientError: " + model.getMessage(), answer, false);
        }
        return new Outcome.Failed(
                "ClientError: " + (error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage()),
                null,
                false);
    }

    private static Outcome timedOut(AsyncRequest request) {
        return new Outcome.Failed(
                "ClientError: Invocation timed out: the pipeline did not answer within InvocationTimeoutSeconds ("
                        + request.invocationTimeout().toSeconds() + " s).",
                null,
                false);
    }
}
