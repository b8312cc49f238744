package dev.tandem.core.stage;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one stage answers: the body, its content type (which becomes the next stage's request
 * {@code Content-Type}) and optionally custom attributes (returned to the client when this is
 * the last stage).
 */
public record StageResponse(Payload body, @Nullable String contentType, @Nullable String customAttributes) {

    public StageResponse {
        Objects.requireNonNull(body, "body");
    }

    public static StageResponse of(Payload body, @Nullable String contentType) {
        return new StageResponse(body, contentType, null);
    }
}
