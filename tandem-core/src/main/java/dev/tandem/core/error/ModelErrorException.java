package dev.tandem.core.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A container of the pipeline failed: it answered non-2xx, did not answer in time, or produced a
 * payload the next container may not receive. Carries SageMaker's {@code ModelError} members.
 */
public class ModelErrorException extends TandemException {
    private static final long serialVersionUID = 1L;

    private final String container;
    private final @Nullable Integer originalStatusCode;
    private final @Nullable String originalMessage;

    public ModelErrorException(
            String container,
            @Nullable Integer originalStatusCode,
            @Nullable String originalMessage,
            String message,
            @Nullable Throwable cause) {
        super(ErrorKind.MODEL_ERROR, message, cause);
        this.container = Objects.requireNonNull(container, "container");
        this.originalStatusCode = originalStatusCode;
        this.originalMessage = originalMessage;
    }

    /** The {@code ContainerHostname} of the container that failed. */
    public String container() {
        return container;
    }

    public @Nullable Integer originalStatusCode() {
        return originalStatusCode;
    }

    public @Nullable String originalMessage() {
        return originalMessage;
    }
}
