package dev.tandem.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.TandemException;
import dev.tandem.server.api.RequestIds;
import dev.tandem.server.api.RequestLoop;
import dev.tandem.server.auth.AuthenticationException;
import dev.tandem.server.batch.TransformJobs;
import dev.tandem.server.features.FeatureStore;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SageMaker's control plane on the wire: AWS JSON 1.1, {@code POST /} with {@code X-Amz-Target:
 * SageMaker.<Operation>}. Validates each request against the service model, runs it on a virtual
 * thread (the state store blocks), and answers JSON, or errors as {@code {"__type", "message"}}.
 */
public final class ControlPlaneApi {
    static final String CONTENT_TYPE = "application/x-amz-json-1.1";
    private static final String TARGET_PREFIX = "SageMaker.";
    private static final CharSequence TARGET = HttpHeaders.createOptimized("X-Amz-Target");
    public static final long MAX_REQUEST_BYTES = 1024 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlaneApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServiceModel model;
    private final SageMakerOperations operations;
    private final Executor virtualThreads;

    public ControlPlaneApi(
            ServiceModel model,
            ControlPlane control,
            TransformJobs transformJobs,
            FeatureStore features,
            Executor virtualThreads) {
        this.model = model;
        this.operations = new SageMakerOperations(
                control, transformJobs, new FeatureGroupOperations(features.groups(), features.offline()));
        this.virtualThreads = virtualThreads;
    }

    /** Whether {@code request} is a control-plane call: it names its operation in X-Amz-Target. */
    public static boolean accepts(HttpServerRequest request) {
        // Asked of every request the server reads: a name hashed once, not on every request.
        String target = request.getHeader(TARGET);
        return target != null && target.startsWith(TARGET_PREFIX);
    }

    /**
     * A control-plane call, its body read and the request authenticated ({@link
     * dev.tandem.server.http.RequestRouter}); runs on a virtual thread.
     */
    public void handle(HttpServerRequest request, byte[] body) {
        String requestId = RequestIds.next();
        String operation = request.getHeader(TARGET).substring(TARGET_PREFIX.length());
        virtualThreads.execute(() -> run(request, requestId, operation, body));
    }

    /** An error in the json 1.1 shape: refused authentication, a body too large. */
    public void writeError(HttpServerResponse response, String requestId, Throwable error) {
        if (error instanceof AuthenticationException denied) {
            deny(response, requestId, denied);
        } else {
            fail(response, requestId, error);
        }
    }

    private void run(HttpServerRequest request, String requestId, String operation, byte[] body) {
        try {
            if (!SageMakerOperations.serves(operation)) {
                throw new TandemException(
                        ErrorKind.UNKNOWN_OPERATION, "Operation " + operation + " is not supported by this server.");
            }
            JsonNode input = parse(body);
            model.inputShape(operation).ifPresent(shape -> model.validate(shape, input));
            String output = operations.handle(operation, input).toString();
            RequestLoop.answer(request, () -> request.response()
                    .setStatusCode(200)
                    .putHeader("Content-Type", CONTENT_TYPE)
                    .putHeader("x-amzn-RequestId", requestId)
                    .end(output));
        } catch (RuntimeException e) {
            RequestLoop.answer(request, () -> fail(request.response(), requestId, e));
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode input = JSON.readTree(body);
            if (input == null || !input.isObject()) {
                throw new SerializationException("The request body must be a JSON object.");
            }
            return input;
        } catch (IOException e) {
            throw new SerializationException("The request body is not valid JSON.");
        }
    }

    /** A request body that is not JSON: AWS's SerializationException. */
    private static final class SerializationException extends TandemException {
        private static final long serialVersionUID = 1L;

        SerializationException(String message) {
            super(ErrorKind.VALIDATION, message);
        }
    }

    static String code(TandemException error) {
        if (error instanceof SerializationException) {
            return "SerializationException";
        }
        return switch (error.kind()) {
            case VALIDATION, PAYLOAD_TOO_LARGE, MODEL_ERROR, MODEL_NOT_READY -> "ValidationException";
            case RESOURCE_IN_USE -> "ResourceInUse";
            case RESOURCE_NOT_FOUND -> "ResourceNotFound";
            case RESOURCE_LIMIT_EXCEEDED -> "ResourceLimitExceeded";
            case UNKNOWN_OPERATION -> "UnknownOperationException";
            case INTERNAL_FAILURE -> "InternalFailure";
            case SERVICE_UNAVAILABLE -> "ServiceUnavailable";
            case THROTTLING -> "ThrottlingException";
        };
    }

    private static void deny(HttpServerResponse response, String requestId, AuthenticationException denied) {
        ObjectNode body = JSON.createObjectNode();
        body.put("__type", denied.code());
        body.put("message", denied.getMessage());
        response.setStatusCode(403)
                .putHeader("Content-Type", CONTENT_TYPE)
                .putHeader("x-amzn-RequestId", requestId)
                .end(body.toString());
    }

    private static void fail(HttpServerResponse response, String requestId, Throwable error) {
        TandemException failure;
        if (error instanceof TandemException known) {
            failure = known;
        } else {
            LOG.error("Control-plane request {} failed", requestId, error);
            failure = new TandemException(
                    ErrorKind.INTERNAL_FAILURE, "An internal error occurred while serving request " + requestId + ".");
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("__type", code(failure));
        body.put("message", failure.getMessage());
        int status =
                switch (failure.kind()) {
                    case INTERNAL_FAILURE -> 500;
                    case SERVICE_UNAVAILABLE -> 503;
                    case THROTTLING -> 429;
                    // json 1.1 errors without a modelled status, ResourceNotFound among them, are 400.
                    default -> 400;
                };
        if (!response.ended()) {
            response.setStatusCode(status)
                    .putHeader("Content-Type", CONTENT_TYPE)
                    .putHeader("x-amzn-RequestId", requestId)
                    .end(body.toString());
        }
    }
}
