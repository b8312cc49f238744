package dev.tandem.kubernetes.resources;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * The status of a resource that changes state — an endpoint (SageMaker's EndpointStatus) or a
 * transform job (TransformJobStatus) — with the times SageMaker reports. Times are ISO-8601.
 *
 * @param servedConfigName for an endpoint, the configuration that last served in full
 * @param servedDeployment its deployment: what an update that cannot roll out goes back to, as
 *     SageMaker rolls a failed update back
 */
public record Lifecycle(
        String status,
        @Nullable String failureReason,
        @Nullable String startedAt,
        @Nullable String endedAt,
        String lastModifiedAt,
        @Nullable String servedConfigName,
        @Nullable JsonNode servedDeployment) {

    public Lifecycle(
            String status,
            @Nullable String failureReason,
            @Nullable String startedAt,
            @Nullable String endedAt,
            String lastModifiedAt) {
        this(status, failureReason, startedAt, endedAt, lastModifiedAt, null, null);
    }

    /** This status with {@code previous}'s record of what served kept. */
    public Lifecycle keepingServed(@Nullable Lifecycle previous) {
        return previous == null
                ? this
                : new Lifecycle(
                        status,
                        failureReason,
                        startedAt,
                        endedAt,
                        lastModifiedAt,
                        previous.servedConfigName(),
                        previous.servedDeployment());
    }
}
