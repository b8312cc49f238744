package dev.tandem.server.endpoint;

import dev.tandem.core.error.ServiceUnavailableException;

/**
 * An instance of a cluster could not be reached, or closed the connection before it answered
 * (its process died or stopped). {@code ServiceUnavailable} to the client: it may try again.
 */
public class InstanceUnreachableException extends ServiceUnavailableException {
    private static final long serialVersionUID = 1L;

    private final boolean servableElsewhere;

    /**
     * @param servableElsewhere whether another instance may serve the request: nothing of it
     *     reached this one (no connection was made), or the connection broke before an answer
     *     began — an instance that is alive answers, even with an error, so this one died with the
     *     request, as an instance killed before its cluster noticed does
     */
    public InstanceUnreachableException(String message, boolean servableElsewhere) {
        super(message);
        this.servableElsewhere = servableElsewhere;
    }

    /** Whether another instance may serve the request (see the constructor). */
    public boolean servableElsewhere() {
        return servableElsewhere;
    }
}
