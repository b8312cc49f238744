package dev.tandem.core.stage;

/**
 * Thrown by a stage to answer with an error status, exactly as a container answering non-2xx.
 * The engine turns it into a {@code ModelError} for the client naming the stage, with this status
 * as {@code OriginalStatusCode} and this message as {@code OriginalMessage}.
 */
public class StageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public StageException(int status, String message) {
        super(message);
        this.status = checkStatus(status);
    }

    public StageException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = checkStatus(status);
    }

    private static int checkStatus(int status) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("a stage error status is 4xx or 5xx, got " + status);
        }
        return status;
    }

    /** Shorthand for a 400: the input was not what the stage accepts. */
    public static StageException badInput(String message) {
        return new StageException(400, message);
    }

    public int status() {
        return status;
    }
}
