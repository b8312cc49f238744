package dev.tandem.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.engine.StageUnreachableException;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.runtime.contract.ContractTarget;
import dev.tandem.server.api.ErrorResponses;
import dev.tandem.server.api.InvocationsApi;
import dev.tandem.server.api.ServerTiming;
import dev.tandem.server.endpoint.InstanceAddress;
import dev.tandem.server.endpoint.InstanceUnreachableException;
import dev.tandem.server.endpoint.RemoteInstance;
import io.vertx.core.MultiMap;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A gateway's client of one instance of a cluster: a {@code tandem instance} process, reached over
 * SageMaker's container contract with the same pooled connections as any container. Its answers
 * pass on as they are — the body, the content type, the custom attributes, each stage's time from
 * its {@code Server-Timing} and its errors with their code and message — so that a client sees what
 * it would see from one machine.
 */
public final class InstanceClient implements RemoteInstance {
    /**
     * How long an instance that could not be reached is passed over: the cluster's own report that
     * it is gone usually comes sooner, and one that was only slow to accept comes back after it.
     */
    static final Duration PASS_OVER = Duration.ofSeconds(2);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PREVIEW_CHARS = 256;

    private final ContractClient client;
    private final InstanceAddress address;
    private final ContractTarget target;
    private final Duration timeout;
    private final LongSupplier nanoTime;
    /** Until when (System.nanoTime) it is passed over; 0 when it is not. */
    private volatile long passedOverUntil;

    /** @param timeout how long the whole pipeline may take on the instance, its own deadlines included */
    public InstanceClient(ContractClient client, InstanceAddress address, Duration timeout) {
        this(client, address, timeout, System::nanoTime);
    }

    InstanceClient(ContractClient client, InstanceAddress address, Duration timeout, LongSupplier nanoTime) {
        this.client = client;
        this.address = address;
        this.target = new ContractTarget(address.host(), address.port(), false, "");
        this.timeout = timeout;
        this.nanoTime = nanoTime;
    }

    @Override
    public boolean isAvailable() {
        long until = passedOverUntil;
        return until == 0 || nanoTime.getAsLong() - until > 0;
    }

    @Override
    public CompletableFuture<InvocationResult> invoke(
            StageRequest request, @Nullable String targetContainer, @Nullable String inferenceId) {
        Map<String, String> headers = new HashMap<>(4);
        // Each stage's size and type, for the timings this server reports as its own.
        headers.put(InvocationsApi.DEBUG.toString(), "stages");
        if (targetContainer != null) {
            headers.put(InvocationsApi.TARGET_CONTAINER.toString(), targetContainer);
        }
        if (inferenceId != null) {
            headers.put(InvocationsApi.INFERENCE_ID.toString(), inferenceId);
        }
        return client.forward(target, request, headers, timeout).handle((answer, error) -> {
            if (error != null) {
                throw new CompletionException(failure(Failures.unwrap(error)));
            }
            MultiMap head = answer.headers();
            if (answer.status() >= 200 && answer.status() <= 299) {
                return new InvocationResult(
                        new StageResponse(
                                answer.body(), head.get("Content-Type"), head.get(InvocationsApi.CUSTOM_ATTRIBUTES)),
                        ServerTiming.parse(head.get("Server-Timing"), head.get(InvocationsApi.STAGES)));
            }
            throw new CompletionException(refusal(answer));
        });
    }

    /** The instance's error answer, as this server answers it. */
    private TandemException refusal(ContractClient.Answer answer) {
        String code = answer.headers().get("x-amzn-ErrorType");
        String text = answer.body().preview(64 * 1024);
        if (code == null) {
            // Not a Tandem instance's answer: something else listens there, or stands in between.
            return new ServiceUnavailableException("Instance " + address.id() + " answered HTTP " + answer.status()
                    + " without a SageMaker error: " + truncate(text) + ". Try again.");
        }
        JsonNode body;
        try {
            body = JSON.readTree(text);
        } catch (IOException e) {
            body = JSON.createObjectNode().put("message", truncate(text));
        }
        // AWS allows a code to carry more after a colon; Tandem's do not, but read them as AWS does.
        int colon = code.indexOf(':');
        return ErrorResponses.decode(
                answer.status(),
                colon < 0 ? code : code.substring(0, colon),
                body,
                answer.headers().get(ErrorResponses.FAILED_CONTAINER));
    }

    private RuntimeException failure(Throwable error) {
        return switch (error) {
            case StageUnreachableException e -> {
                passedOverUntil = nanoTime.getAsLong() + PASS_OVER.toNanos();
                yield new InstanceUnreachableException(
                        "Instance " + address.id() + " (" + target
                                + ") could not be reached or closed the connection: " + e.getMessage()
                                + ". It is passed over for " + PASS_OVER.toSeconds() + " s; try again.",
                        e.unanswered());
            }
            case StageTimeoutException e ->
                new TandemException(
                        ErrorKind.MODEL_ERROR,
                        "Instance " + address.id() + " did not answer within "
                                + e.timeout().toSeconds()
                                + " seconds. Review the latency of each container, resolve the issue, and try"
                                + " again.");
            case RuntimeException e -> e;
            default -> new IllegalStateException(error);
        };
    }

    private static String truncate(String text) {
        return text.length() <= PREVIEW_CHARS ? text : text.substring(0, PREVIEW_CHARS) + "…";
    }
}
