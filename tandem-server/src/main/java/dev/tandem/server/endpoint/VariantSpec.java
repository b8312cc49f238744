package dev.tandem.server.endpoint;

import dev.tandem.core.model.PipelineDefinition;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One production variant to deploy: a model, how many instances of it, and its share of traffic.
 *
 * @param instanceCount how many instances; for a serverless variant, ignored (they start on demand)
 * @param startupTimeout how long its containers have to become healthy
 *     (ContainerStartupHealthCheckTimeoutInSeconds)
 * @param serverless its serverless settings, or null for a fixed instance count
 */
public record VariantSpec(
        String name,
        PipelineDefinition model,
        int instanceCount,
        double weight,
        Duration startupTimeout,
        @Nullable ServerlessConfig serverless) {

    public VariantSpec(
            String name, PipelineDefinition model, int instanceCount, double weight, Duration startupTimeout) {
        this(name, model, instanceCount, weight, startupTimeout, null);
    }

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
