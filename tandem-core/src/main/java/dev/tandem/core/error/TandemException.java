package dev.tandem.core.error;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Base of every error Tandem reports to a client. Its message is written for the user and is
 * sent as is, so it must name what is wrong (the member, the endpoint, the container) and never
 * carry internal details such as stack traces.
 */
public class TandemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    public TandemException(ErrorKind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public TandemException(ErrorKind kind, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public ErrorKind kind() {
        return kind;
    }
}
