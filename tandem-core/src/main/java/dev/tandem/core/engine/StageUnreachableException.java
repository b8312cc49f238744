package dev.tandem.core.engine;

/**
 * Thrown by a stage whose container could not be reached at all (connection refused or reset).
 * The engine reports it as a {@code ModelError} naming the container, without an original status.
 */
public class StageUnreachableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean beforeSending;

    public StageUnreachableException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /** @param beforeSending whether it failed before any of the request was sent (no connection) */
    public StageUnreachableException(String message, Throwable cause, boolean beforeSending) {
        super(message, cause);
        this.beforeSending = beforeSending;
    }

    /**
     * Whether nothing of the request was sent: the container cannot have acted on it, so it may go
     * to another (as nginx passes a request to the next server only then).
     */
    public boolean beforeSending() {
        return beforeSending;
    }
}
