package dev.tandem.core.stage;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one stage receives: the body and the three headers of the SageMaker container contract
 * that Tandem forwards.
 *
 * @param body the request body
 * @param contentType the {@code Content-Type} of the body, absent when the client sent none
 * @param accept the {@code Accept} the stage should answer with; absent for every stage but the
 *     last of a serial pipeline, so that each stage's own default applies
 * @param customAttributes the client's {@code X-Amzn-SageMaker-Custom-Attributes}, given to every
 *     stage
 * @param traceparent the W3C trace context of the span this stage runs in, passed to containers as
 *     their {@code traceparent} header so that their own spans join the trace; absent when the
 *     request is not traced
 */
public record StageRequest(
        Payload body,
        @Nullable String contentType,
        @Nullable String accept,
        @Nullable String customAttributes,
        @Nullable String traceparent) {

    public StageRequest {
        Objects.requireNonNull(body, "body");
    }

    /** A request outside any trace. */
    public StageRequest(
            Payload body, @Nullable String contentType, @Nullable String accept, @Nullable String customAttributes) {
        this(body, contentType, accept, customAttributes, null);
    }

    /** The same request in another span. */
    public StageRequest withTraceparent(@Nullable String value) {
        return new StageRequest(body, contentType, accept, customAttributes, value);
    }
}
