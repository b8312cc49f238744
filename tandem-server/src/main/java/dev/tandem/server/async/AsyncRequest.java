package dev.tandem.server.async;

import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.Location;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One accepted InvokeEndpointAsync request, as it is queued: what to run, where its input is, and
 * where its one result object goes.
 *
 * @param id Tandem's name for the request, unique: the output object is named after it
 * @param inferenceId the client's {@code X-Amzn-SageMaker-Inference-Id}, or one generated
 * @param input where the input body is, when the client named a location; null for an inline body
 * @param inlineBody the body the client sent with the request (at most 128,000 bytes); null when it
 *     named a location
 * @param ttl how long the request may wait in the queue ({@code RequestTTLSeconds})
 * @param invocationTimeout how long the pipeline may take once started ({@code
 *     InvocationTimeoutSeconds})
 * @param outputLocation where the pipeline's answer is written
 * @param failureLocation where the failure is written instead, when the request fails
 */
public record AsyncRequest(
        String id,
        String endpoint,
        String inferenceId,
        @Nullable Location input,
        @Nullable Payload inlineBody,
        @Nullable String contentType,
        @Nullable String accept,
        @Nullable String customAttributes,
        Duration ttl,
        Duration invocationTimeout,
        Location outputLocation,
        Location failureLocation,
        Instant receivedAt) {

    public AsyncRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(inferenceId, "inferenceId");
        Objects.requireNonNull(outputLocation, "outputLocation");
        Objects.requireNonNull(failureLocation, "failureLocation");
        Objects.requireNonNull(receivedAt, "receivedAt");
        if ((input == null) == (inlineBody == null)) {
            throw new IllegalArgumentException("a request has an input location or an inline body, not both");
        }
    }

    /** When the request expires if it is still queued. */
    public Instant expiresAt() {
        return receivedAt.plus(ttl);
    }

    /** Where the input is, for messages and notifications: its location, or "inline". */
    public String inputDescription() {
        return input != null
                ? input.toString()
                : "inline body (" + Objects.requireNonNull(inlineBody).size() + " bytes)";
    }
}
