package dev.tandem.server.endpoint;

import dev.tandem.core.error.ModelNotReadyException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.model.PipelineDefinition;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A named, invokable deployment of a model: one production variant and its instances. Requests go
 * to the healthy instance with the fewest requests in flight.
 */
public final class Endpoint {
    public static final String DEFAULT_VARIANT = "AllTraffic";

    private final String name;
    private final String variantName;
    private final PipelineDefinition model;
    private final List<Instance> instances;

    Endpoint(String name, String variantName, PipelineDefinition model, List<Instance> instances) {
        this.name = name;
        this.variantName = variantName;
        this.model = model;
        this.instances = List.copyOf(instances);
    }

    public String name() {
        return name;
    }

    public String variantName() {
        return variantName;
    }

    public PipelineDefinition model() {
        return model;
    }

    public List<Instance> instances() {
        return instances;
    }

    public boolean isInService() {
        return instances.stream().anyMatch(Instance::isHealthy);
    }

    /**
     * Takes the healthy instance with the fewest requests in flight; the caller must {@link
     * #release} it. Fails at once, never waits, when no instance is healthy.
     *
     * @throws ModelNotReadyException while the instances are still starting
     * @throws ServiceUnavailableException when they have failed and are being restarted
     */
    public Instance acquire() {
        int count = instances.size();
        int offset = count == 1 ? 0 : ThreadLocalRandom.current().nextInt(count);
        Instance best = null;
        for (int i = 0; i < count; i++) {
            Instance candidate = instances.get((offset + i) % count);
            if (candidate.isHealthy() && (best == null || candidate.outstanding() < best.outstanding())) {
                best = candidate;
            }
        }
        if (best == null) {
            throw noHealthyInstance();
        }
        best.acquire();
        return best;
    }

    public void release(Instance instance) {
        instance.release();
    }

    private RuntimeException noHealthyInstance() {
        Instance first = instances.get(0);
        String why = first.unhealthyContainer();
        if (instances.stream().anyMatch(Instance::hasRestarted)) {
            return new ServiceUnavailableException(
                    "Endpoint " + name + " has no healthy instance: " + why + ". Try again shortly.");
        }
        return new ModelNotReadyException("Endpoint " + name + " is starting: " + why + ". Try again shortly.");
    }

    void close() {
        instances.forEach(Instance::close);
    }
}
