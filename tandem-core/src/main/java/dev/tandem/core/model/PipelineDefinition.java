package dev.tandem.core.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A model as SageMaker's {@code CreateModel} defines it: an ordered list of containers and how
 * they run. Immutable; built by {@link PipelineParser}, which guarantees its invariants (1 to 15
 * containers, unique hostnames).
 */
public record PipelineDefinition(String modelName, ExecutionMode mode, List<ContainerDefinition> containers) {

    public static final int MAX_CONTAINERS = 15;

    public PipelineDefinition {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(mode, "mode");
        containers = List.copyOf(containers);
    }

    public Optional<ContainerDefinition> container(String hostname) {
        return containers.stream().filter(c -> c.hostname().equals(hostname)).findFirst();
    }
}
