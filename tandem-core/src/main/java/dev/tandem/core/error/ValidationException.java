package dev.tandem.core.error;

/** The request or definition is invalid; the message names the member and the reason. */
public class ValidationException extends TandemException {
    private static final long serialVersionUID = 1L;

    public ValidationException(String message) {
        super(ErrorKind.VALIDATION, message);
    }
}
