package dev.tandem.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.PayloadTooLargeException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.stage.Payload;
import dev.tandem.server.async.AsyncInference;
import dev.tandem.server.async.AsyncRequest;
import dev.tandem.server.async.AsyncRequestReader;
import dev.tandem.server.async.QueuedRequest;
import dev.tandem.server.endpoint.EndpointRegistry;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Instant;

/**
 * SageMaker's InvokeEndpointAsync, {@code POST /endpoints/{EndpointName}/async-invocations}: answers
 * 202 with the {@code InferenceId} and the output and failure locations once the request is
 * durably queued. And Tandem's status of one request, which SageMaker lacks: {@code GET
 * /endpoints/{EndpointName}/async-invocations/{InferenceId}}.
 */
public final class AsyncInvocationsApi {
    static final String OUTPUT_LOCATION = "X-Amzn-SageMaker-OutputLocation";
    static final String FAILURE_LOCATION = "X-Amzn-SageMaker-FailureLocation";
    /** The most body InvokeEndpointAsync carries inline. */
    public static final long MAX_BODY = AsyncRequestReader.MAX_INLINE_BODY;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AsyncInference async;
    private final EndpointRegistry endpoints;
    private final ErrorResponses errors;
    private final String accountId;

    public AsyncInvocationsApi(
            AsyncInference async, EndpointRegistry endpoints, ErrorResponses errors, String accountId) {
        this.async = async;
        this.endpoints = endpoints;
        this.errors = errors;
        this.accountId = accountId;
    }

    /**
     * InvokeEndpointAsync, its inline body read and the request authenticated ({@link
     * dev.tandem.server.http.RequestRouter}); queueing happens on a virtual thread.
     */
    public void invoke(HttpServerRequest request, String endpointName, byte[] body) {
        String requestId = RequestIds.next();
        Thread.ofVirtual().name("async-accept").start(() -> accept(request, endpointName, body, requestId));
    }

    /** An error before the request is read: an inline body over its limit is SageMaker's ValidationError. */
    public void writeError(HttpServerResponse response, String requestId, Throwable error) {
        Throwable shown = error instanceof PayloadTooLargeException
                ? new ValidationException("1 validation error detected: Value at 'body' failed to satisfy"
                        + " constraint: Member must have length less than or equal to "
                        + AsyncRequestReader.MAX_INLINE_BODY + ". Larger payloads go through "
                        + AsyncRequestReader.INPUT_LOCATION + ".")
                : error;
        errors.write(response, requestId, shown, null);
    }

    private void accept(HttpServerRequest request, String endpointName, byte[] body, String requestId) {
        try {
            checkEndpoint(endpointName);
            AsyncRequest queued = async.submit(endpointName, request::getHeader, Payload.wrap(body));
            ObjectNode answer = JSON.createObjectNode();
            answer.put("InferenceId", queued.inferenceId());
            RequestLoop.answer(request, () -> request.response()
                    .setStatusCode(202)
                    .putHeader("Content-Type", "application/json")
                    .putHeader("x-amzn-RequestId", requestId)
                    .putHeader(OUTPUT_LOCATION, queued.outputLocation().toString())
                    .putHeader(FAILURE_LOCATION, queued.failureLocation().toString())
                    .end(answer.toString()));
        } catch (RuntimeException e) {
            errors.answer(request, requestId, e);
        }
    }

    /** Tandem's status of one request. Runs on a virtual thread: it reads the queue. */
    public void status(HttpServerRequest request, String endpointName, String inferenceId) {
        String requestId = RequestIds.next();
        try {
            checkEndpoint(endpointName);
            QueuedRequest found = async.find(endpointName, inferenceId)
                    .orElseThrow(() -> new ValidationException("Endpoint " + endpointName
                            + " has no asynchronous request with inference id " + inferenceId
                            + " (finished requests are kept for a day)."));
            String described = describe(found).toString();
            RequestLoop.answer(request, () -> request.response()
                    .putHeader("Content-Type", "application/json")
                    .putHeader("x-amzn-RequestId", requestId)
                    .end(described));
        } catch (RuntimeException e) {
            errors.answer(request, requestId, e);
        }
    }

    static ObjectNode describe(QueuedRequest found) {
        AsyncRequest request = found.request();
        ObjectNode out = JSON.createObjectNode();
        out.put("InferenceId", request.inferenceId());
        out.put("EndpointName", request.endpoint());
        out.put("Status", found.status().wireName());
        if (request.input() != null) {
            out.put("InputLocation", request.input().toString());
        }
        out.put("OutputLocation", request.outputLocation().toString());
        out.put("FailureLocation", request.failureLocation().toString());
        if (found.failureReason() != null) {
            out.put("FailureReason", found.failureReason());
        }
        out.put("Attempts", found.attempts());
        out.put("ReceivedTime", seconds(request.receivedAt()));
        if (found.startedAt() != null) {
            out.put("StartTime", seconds(found.startedAt()));
        }
        if (found.endedAt() != null) {
            out.put("EndTime", seconds(found.endedAt()));
        }
        out.put("RequestTTLSeconds", request.ttl().toSeconds());
        out.put("InvocationTimeoutSeconds", request.invocationTimeout().toSeconds());
        return out;
    }

    private void checkEndpoint(String name) {
        EndpointNames.check(name);
        endpoints.require(name, accountId);
    }

    /** Epoch seconds with milliseconds, as AWS's JSON timestamps. */
    private static double seconds(Instant instant) {
        return instant.toEpochMilli() / 1000.0;
    }
}
