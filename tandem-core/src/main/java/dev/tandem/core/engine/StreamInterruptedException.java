package dev.tandem.core.engine;

/**
 * A streamed answer that broke after its first part, naming the stage whose stream broke. Its
 * cause says how: a {@link StageTimeoutException} when the stage went silent past its limit, the
 * stage's own failure otherwise.
 */
public class StreamInterruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String hostname;

    public StreamInterruptedException(String hostname, Throwable cause) {
        super(hostname + ": " + describe(cause), cause);
        this.hostname = hostname;
    }

    /** The container whose stream broke. */
    public String hostname() {
        return hostname;
    }

    /** Whether the stage stopped sending past its time limit, rather than failing. */
    public boolean timedOut() {
        return getCause() instanceof StageTimeoutException;
    }

    private static String describe(Throwable cause) {
        return cause.getMessage() != null
                ? cause.getMessage()
                : cause.getClass().getSimpleName();
    }
}
