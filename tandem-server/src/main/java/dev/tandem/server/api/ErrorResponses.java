package dev.tandem.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.engine.Failures;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.TandemException;
import dev.tandem.server.auth.AuthenticationException;
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

    static String runtimeCode(ErrorKind kind) {
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

    /** An error answer, ready to write. */
    record Reply(int status, String code, String body) {}

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
                .putHeader("Content-Type", "application/json")
                .end(reply.body());
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
            return new Reply(failure.kind().httpStatus(), runtimeCode(failure.kind()), JSON.writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("an ObjectNode always serializes", e);
        }
    }
}
