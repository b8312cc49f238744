package dev.tandem.core.stage;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Where a streaming stage writes its answer, part by part ({@link Stage#stream}). Each part reaches
 * the client as it is written, as one {@code PayloadPart} of InvokeEndpointWithResponseStream.
 *
 * <p>Writing blocks while the client is behind — a slow reader slows the stage down instead of
 * filling memory — and throws {@link StreamCancelledException} once nobody reads any more (the
 * client disconnected or the stream timed out): the stage should stop then, which it does by
 * letting the exception propagate.
 */
public interface ResponseStream {

    /**
     * Sets the answer's content type (which the client gets as {@code X-Amzn-SageMaker-Content-Type})
     * and custom attributes; called at most once, before the first part. A stage that does not call
     * it answers without either.
     */
    void start(@Nullable String contentType, @Nullable String customAttributes);

    /** Sends one part; the array is handed over and must not be changed afterwards. */
    void write(byte[] part);

    /** Sends one part of text, as UTF-8. */
    default void write(String text) {
        write(text.getBytes(StandardCharsets.UTF_8));
    }
}
