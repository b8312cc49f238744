package dev.tandem.server.batch;

import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.FleetStartup;
import dev.tandem.server.endpoint.Variant;
import dev.tandem.server.endpoint.VariantSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The instances of a model that a transform job runs on, none of them an endpoint: every container
 * gets the job's Environment and SageMaker's batch variables, and the job's execution parameters
 * are settled once they are healthy (asking the first container for what the request left out).
 */
public final class TransformFleet implements AutoCloseable {
    private final EndpointRegistry registry;
    private final List<Variant> fleet;
    private final ExecutionParameters parameters;

    private TransformFleet(EndpointRegistry registry, List<Variant> fleet, ExecutionParameters parameters) {
        this.registry = registry;
        this.fleet = fleet;
        this.parameters = parameters;
    }

    /** The model's containers could not start (or the job was stopped while they did). */
    public static final class StartFailure extends Exception {
        private static final long serialVersionUID = 1L;

        StartFailure(String message) {
            super(message, null, false, false);
        }

        @Override
        public String getMessage() {
            return String.valueOf(super.getMessage());
        }
    }

    /**
     * Starts {@code instances} instances and waits until they are healthy.
     *
     * @param stopping whether the job is being stopped meanwhile: the start is abandoned
     */
    public static TransformFleet launch(
            EndpointRegistry registry,
            TransformJobSpec spec,
            PipelineDefinition model,
            int instances,
            Duration startupTimeout,
            BooleanSupplier stopping)
            throws StartFailure {
        ExecutionParameters requested = ExecutionParameters.of(spec);
        List<Variant> fleet;
        try {
            fleet = registry.launch(
                    "transform-job-" + spec.name(),
                    List.of(new VariantSpec(
                            "AllTraffic",
                            withBatchEnvironment(model, spec, requested),
                            instances,
                            1.0,
                            startupTimeout)));
        } catch (RuntimeException e) {
            throw new StartFailure("The model's containers could not start: " + e.getMessage());
        }
        String failure = FleetStartup.await(fleet, startupTimeout, stopping, registry.statusChanges());
        if (failure != null) {
            registry.discard(fleet, Duration.ofSeconds(30));
            throw new StartFailure("The model's containers did not start: " + failure);
        }
        Variant variant = fleet.get(0);
        ExecutionParameters parameters = ExecutionParameters.resolve(
                spec, variant.instances().get(0).containers().get(0).contractUrl());
        return new TransformFleet(registry, fleet, parameters);
    }

    public Variant variant() {
        return fleet.get(0);
    }

    public ExecutionParameters parameters() {
        return parameters;
    }

    /** The model with the job's Environment and SageMaker's batch variables in every container. */
    private static PipelineDefinition withBatchEnvironment(
            PipelineDefinition model, TransformJobSpec spec, ExecutionParameters parameters) {
        List<ContainerDefinition> containers = new ArrayList<>();
        for (ContainerDefinition container : model.containers()) {
            Map<String, String> environment = new LinkedHashMap<>(container.environment());
            environment.putAll(spec.environment());
            environment.put("SAGEMAKER_BATCH", "true");
            environment.put("SAGEMAKER_MAX_PAYLOAD_IN_MB", Integer.toString(parameters.maxPayloadMb()));
            environment.put("SAGEMAKER_BATCH_STRATEGY", parameters.strategy().name());
            environment.put("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", Integer.toString(parameters.maxConcurrent()));
            containers.add(new ContainerDefinition(
                    container.hostname(), container.image(), environment, container.modelData()));
        }
        return new PipelineDefinition(model.modelName(), model.mode(), containers);
    }

    /** Stops the containers, letting requests in flight finish for a moment. */
    @Override
    public void close() {
        registry.discard(fleet, Duration.ofSeconds(30));
    }
}
