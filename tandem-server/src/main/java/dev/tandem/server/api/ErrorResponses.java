package dev.tandem.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.engine.Failures;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.ModelNotReadyException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.server.auth.AuthenticationException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes errors in AWS's rest-json shape — {@code x-amzn-ErrorType} and a JSON body with {@code
 * message} plus the error shape's members — so the AWS SDKs raise the modelled exception. The one
 * place where the runtime API maps an {@link ErrorKind} to its code; a failure that is not a
 * {@link TandemException} becomes {@code InternalFailure} and its details stay in the server log.
 */
public final class ErrorResponses {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String logArnPrefix;

    /**
     * @param region the AWS region named in log stream ARNs
     * @param accountId the account named in log stream ARNs
     */
    public ErrorResponses(String region, String accountId) {
        this.logArnPrefix = "arn:aws:logs:" + region + ":" + accountId + ":log-group:/aws/sagemaker/Endpoints/";
    }

    public static String runtimeCode(ErrorKind kind) {
        return switch (kind) {
            case VALIDATION, PAYLOAD_TOO_LARGE, RESOURCE_IN_USE, RESOURCE_LIMIT_EXCEEDED -> "ValidationError";
            case UNKNOWN_OPERATION -> "UnknownOperationException";
            case RESOURCE_NOT_FOUND -> "ResourceNotFound";
            case MODEL_ERROR -> "ModelError";
            case MODEL_NOT_READY -> "ModelNotReadyException";
            case INTERNAL_FAILURE -> "InternalFailure";
            case SERVICE_UNAVAILABLE -> "ServiceUnavailable";
            case THROTTLING -> "ThrottlingException";
        };
    }

    /**
     * Names the container that failed on a {@code ModelError} answer, for a gateway in front of this
     * server (which names it in its own {@code LogStreamArn}) and for plain HTTP clients.
     */
    public static final String FAILED_CONTAINER = "X-Tandem-Failed-Container";

    /**
     * An error answer, ready to write.
     *
     * @param container the container that failed, for a ModelError; else null
     */
    record Reply(int status, String code, String body, @Nullable String container) {
        Reply(int status, String code, String body) {
            this(status, code, body, null);
        }
    }

    /**
     * The error another Tandem server answered — a gateway's instance — as the exception that this
     * server answers the same way: its code, message and ModelError members kept.
     *
     * @param code its {@code x-amzn-ErrorType}
     * @param container its {@link #FAILED_CONTAINER}, if it named one
     */
    public static TandemException decode(int status, String code, JsonNode body, @Nullable String container) {
        String message = body.path("message").asText(body.path("Message").asText("HTTP " + status));
        return switch (code) {
            case "ModelError" ->
                new ModelErrorException(
                        container == null ? "unknown" : container,
                        body.hasNonNull("OriginalStatusCode")
                                ? body.get("OriginalStatusCode").asInt()
                                : null,
                        body.hasNonNull("OriginalMessage")
                                ? body.get("OriginalMessage").asText()
                                : null,
                        message,
                        null);
            case "ValidationError" ->
                status == ErrorKind.PAYLOAD_TOO_LARGE.httpStatus()
                        ? new TandemException(ErrorKind.PAYLOAD_TOO_LARGE, message)
                        : new ValidationException(message);
            case "ModelNotReadyException" -> new ModelNotReadyException(message);
            case "ThrottlingException" -> new ThrottlingException(message);
            case "ServiceUnavailable" -> new ServiceUnavailableException(message);
            default -> new TandemException(ErrorKind.INTERNAL_FAILURE, message);
        };
    }

    /**
     * Answers {@code error} on the request's event loop, from whichever thread found it (see {@link
     * RequestLoop}).
     */
    public void answer(HttpServerRequest request, String requestId, Throwable error) {
        RequestLoop.answer(request, () -> write(request.response(), requestId, error, null));
    }

    /**
     * Answers {@code error}.
     *
     * @param logStream where the failing container logs ({@code endpoint}, variant/instance/host),
     *     for ModelError's {@code LogStreamArn}; null when unknown
     */
    public void write(HttpServerResponse response, String requestId, Throwable error, @Nullable String logStream) {
        Reply reply = reply(requestId, error, logStream);
        if (response.ended() || response.closed()) {
            return;
        }
        if (reply.status() == 429 || reply.status() == 503) {
            // The SDKs back off on their own; plain HTTP clients and proxies read this.
            response.putHeader("Retry-After", "1");
        }
        response.setStatusCode(reply.status())
                .putHeader("x-amzn-ErrorType", reply.code())
                .putHeader("x-amzn-RequestId", requestId)
                .putHeader("Content-Type", "application/json");
        if (reply.container() != null) {
            response.putHeader(FAILED_CONTAINER, reply.container());
        }
        response.end(reply.body());
    }

    Reply reply(String requestId, Throwable thrown, @Nullable String logStream) {
        Throwable error = Failures.unwrap(thrown);
        if (error instanceof AuthenticationException denied) {
            ObjectNode body = JSON.createObjectNode();
            body.put("message", denied.getMessage());
            return new Reply(403, denied.code(), body.toString());
        }
        TandemException failure;
        if (error instanceof TandemException known) {
            failure = known;
        } else {
            LOG.error("Request {} failed", requestId, error);
            failure = new TandemException(
                    ErrorKind.INTERNAL_FAILURE, "An internal error occurred while serving request " + requestId + ".");
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("message", failure.getMessage());
        if (failure instanceof ModelErrorException model) {
            if (model.originalStatusCode() != null) {
                body.put("OriginalStatusCode", model.originalStatusCode());
            }
            if (model.originalMessage() != null) {
                body.put("OriginalMessage", model.originalMessage());
            }
            if (logStream != null) {
                body.put("LogStreamArn", logArnPrefix + logStream);
            }
        }
        try {
            return new Reply(
                    failure.kind().httpStatus(),
                    runtimeCode(failure.kind()),
                    JSON.writeValueAsString(body),
                    failure instanceof ModelErrorException model ? model.container() : null);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("an ObjectNode always serializes", e);
        }
    }
}
