package dev.tandem.core.error;

/** No instance can serve the request right now; the client should retry. */
public class ServiceUnavailableException extends TandemException {
    private static final long serialVersionUID = 1L;

    public ServiceUnavailableException(String message) {
        super(ErrorKind.SERVICE_UNAVAILABLE, message);
    }

    public ServiceUnavailableException(String message, Throwable cause) {
        super(ErrorKind.SERVICE_UNAVAILABLE, message, cause);
    }
}
