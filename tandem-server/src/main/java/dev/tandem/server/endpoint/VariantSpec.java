package dev.tandem.server.endpoint;

import dev.tandem.core.model.PipelineDefinition;
import java.time.Duration;
import java.util.Objects;

/**
 * One production variant to deploy: a model, how many instances of it, and its share of traffic.
 *
 * @param startupTimeout how long its containers have to become healthy
 *     (ContainerStartupHealthCheckTimeoutInSeconds)
 */
public record VariantSpec(
        String name, PipelineDefinition model, int instanceCount, double weight, Duration startupTimeout) {

    public VariantSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(startupTimeout, "startupTimeout");
        if (instanceCount < 0) {
            throw new IllegalArgumentException("a variant has no fewer than zero instances, got " + instanceCount);
        }
        if (weight < 0 || Double.isNaN(weight)) {
            throw new IllegalArgumentException("a variant's weight is 0 or more, got " + weight);
        }
    }
}
