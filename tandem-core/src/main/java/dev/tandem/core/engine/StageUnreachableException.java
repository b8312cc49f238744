package dev.tandem.core.engine;

/**
 * Thrown by a stage whose container could not be reached at all (connection refused or reset).
 * The engine reports it as a {@code ModelError} naming the container, without an original status.
 */
public class StageUnreachableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StageUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
