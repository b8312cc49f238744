package dev.tandem.core.error;

/**
 * What went wrong, independent of the wire: each API maps a kind to its own error code (the
 * runtime API says {@code ValidationError} where the control plane says {@code
 * ValidationException}) in exactly one place.
 */
public enum ErrorKind {
    /** The request is invalid: the caller must change it. */
    VALIDATION(400),
    /** The resource the request names does not exist (the feature store's ResourceNotFound). */
    RESOURCE_NOT_FOUND(404),
    /** The resource is in a state that does not allow the operation. */
    RESOURCE_IN_USE(400),
    /** The operation would exceed a limit of the server. */
    RESOURCE_LIMIT_EXCEEDED(400),
    /** No operation is served at the request's method and path. */
    UNKNOWN_OPERATION(404),
    /** The request body is larger than the configured limit. */
    PAYLOAD_TOO_LARGE(413),
    /** A container (stage) failed, answered an error status or did not answer in time. */
    MODEL_ERROR(424),
    /** The model is still loading; try again shortly. */
    MODEL_NOT_READY(429),
    /**
     * Every instance that could serve the request is at its limit of requests in flight: refused at
     * once, so that the client backs off and retries instead of queueing behind work it may abandon.
     */
    THROTTLING(429),
    /** Tandem failed; not the caller's fault. */
    INTERNAL_FAILURE(500),
    /** Nothing can serve the request now (no healthy instance); try again. */
    SERVICE_UNAVAILABLE(503);

    private final int httpStatus;

    ErrorKind(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
