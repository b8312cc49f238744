package dev.tandem.core.stage;

/**
 * Thrown by {@link ResponseStream#write} once nobody reads the stream any more: the client
 * disconnected, or the stream was ended by a timeout or a failure elsewhere in the pipeline.
 */
public class StreamCancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StreamCancelledException() {
        super("the stream's reader is gone");
    }
}
