package dev.tandem.server.endpoint;

import dev.tandem.core.error.ServiceUnavailableException;

/**
 * An instance of a cluster could not be reached, or closed the connection before it answered
 * (its process died or stopped). {@code ServiceUnavailable} to the client: it may try again.
 */
public class InstanceUnreachableException extends ServiceUnavailableException {
    private static final long serialVersionUID = 1L;

    private final boolean beforeSending;

    /** @param beforeSending whether nothing of the request reached it (no connection was made) */
    public InstanceUnreachableException(String message, boolean beforeSending) {
        super(message);
        this.beforeSending = beforeSending;
    }

    /** Whether nothing of the request reached it: it cannot have acted on it, so another may serve it. */
    public boolean beforeSending() {
        return beforeSending;
    }
}
