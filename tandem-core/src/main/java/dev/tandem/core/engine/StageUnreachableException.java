package dev.tandem.core.engine;

/**
 * Thrown by a stage whose container could not be reached at all (connection refused or reset).
 * The engine reports it as a {@code ModelError} naming the container, without an original status.
 */
public class StageUnreachableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean beforeSending;
    private final boolean unanswered;

    public StageUnreachableException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /** @param beforeSending whether it failed before any of the request was sent (no connection) */
    public StageUnreachableException(String message, Throwable cause, boolean beforeSending) {
        this(message, cause, beforeSending, beforeSending);
    }

    /**
     * @param beforeSending whether it failed before any of the request was sent (no connection)
     * @param unanswered whether no answer began to come back: not its status line and headers
     *     (always so before sending)
     */
    public StageUnreachableException(String message, Throwable cause, boolean beforeSending, boolean unanswered) {
        super(message, cause);
        this.beforeSending = beforeSending;
        this.unanswered = beforeSending || unanswered;
    }

    /**
     * Whether nothing of the request was sent: the container cannot have acted on it, so it may go
     * to another (as nginx passes a request to the next server only then).
     */
    public boolean beforeSending() {
        return beforeSending;
    }

    /**
     * Whether the connection failed before an answer began (its status line and headers): a server
     * that is alive answers, even with an error, so this one most likely died with the request (or
     * before it). Only the clients that track it say so; false when unknown.
     */
    public boolean unanswered() {
        return unanswered;
    }
}
