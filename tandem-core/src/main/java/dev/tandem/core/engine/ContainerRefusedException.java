package dev.tandem.core.engine;

import dev.tandem.core.error.ServiceUnavailableException;

/**
 * A container refused the connection for its stage's request: nothing of the request reached it,
 * and it has just gone down — its process exited or it stopped listening — since a container that
 * never listened is not sent requests. {@code ServiceUnavailable} to the client, which may try
 * again; a {@code ModelError} would blame a model that never saw the request.
 */
public final class ContainerRefusedException extends ServiceUnavailableException {
    private static final long serialVersionUID = 1L;

    private final String container;
    private final boolean firstStage;

    ContainerRefusedException(String container, boolean firstStage, StageUnreachableException refusal) {
        super(
                "Container " + container + " is not accepting connections (" + refusal.getMessage()
                        + "); it may be restarting. Retry the request.",
                refusal);
        this.container = container;
        this.firstStage = firstStage;
    }

    /** The hostname of the container that refused. */
    public String container() {
        return container;
    }

    /**
     * Whether no container ran for the request: the pipeline's first one refused it. Then another
     * instance may serve it as if this one had never been asked.
     */
    public boolean nothingRan() {
        return firstStage;
    }
}
