package dev.tandem.core.error;

/**
 * The request was refused because what would serve it is at its bound (requests in flight per
 * instance, the native-inference pool); the client should back off and retry.
 */
public class ThrottlingException extends TandemException {
    private static final long serialVersionUID = 1L;

    public ThrottlingException(String message) {
        super(ErrorKind.THROTTLING, message);
    }

    public ThrottlingException(String message, Throwable cause) {
        super(ErrorKind.THROTTLING, message, cause);
    }
}
