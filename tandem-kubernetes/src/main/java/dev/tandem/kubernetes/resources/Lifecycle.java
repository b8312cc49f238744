package dev.tandem.kubernetes.resources;

import org.jspecify.annotations.Nullable;

/**
 * The status of a resource that changes state — an endpoint (SageMaker's EndpointStatus) or a
 * transform job (TransformJobStatus) — with the times SageMaker reports. Times are ISO-8601.
 */
public record Lifecycle(
        String status,
        @Nullable String failureReason,
        @Nullable String startedAt,
        @Nullable String endedAt,
        String lastModifiedAt) {}
