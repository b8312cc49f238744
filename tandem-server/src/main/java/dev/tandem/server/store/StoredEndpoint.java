package dev.tandem.server.store;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * An endpoint and the deployment it runs.
 *
 * @param deployment JSON of what runs: each variant's model (copied, since a model or config may be
 *     deleted while an endpoint uses it), instance count and weight
 * @param status SageMaker's EndpointStatus
 */
public record StoredEndpoint(
        String name,
        String arn,
        String configName,
        String deployment,
        String status,
        @Nullable String failureReason,
        Instant createdAt,
        Instant lastModifiedAt) {

    public StoredEndpoint withStatus(String newStatus, @Nullable String reason, Instant at) {
        return new StoredEndpoint(name, arn, configName, deployment, newStatus, reason, createdAt, at);
    }

    public StoredEndpoint withDeployment(String newConfigName, String newDeployment, Instant at) {
        return new StoredEndpoint(name, arn, newConfigName, newDeployment, status, failureReason, createdAt, at);
    }
}
