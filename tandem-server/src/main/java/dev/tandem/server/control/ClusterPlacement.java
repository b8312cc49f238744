package dev.tandem.server.control;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.server.control.Deployment.VariantDeployment;
import dev.tandem.server.store.StateStore;
import dev.tandem.server.store.StoredEndpoint;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Endpoints run by a cluster's own controller (Tandem's Kubernetes operator): the control plane
 * only writes what each endpoint should run to the shared store — the controller reads it, starts,
 * scales and replaces the instances, and writes the endpoint's status back (Creating → InService
 * or Failed, Updating → InService). Nothing here starts a process.
 *
 * <p>What only one machine can do is refused with a message that says so: serverless and
 * asynchronous variants keep their queue and their scaling in one server's memory and files.
 */
final class ClusterPlacement implements Placement {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterPlacement.class);

    private final StateStore store;
    private final Clock clock;

    ClusterPlacement(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Programs and model files live in the instances' image, not beside this server: nothing to check here. */
    @Override
    public void check(PipelineDefinition model) {}

    @Override
    public void check(Deployment deployment) {
        if (deployment.hasServerless()) {
            throw new ValidationException("Serverless variants run on one Tandem server, not yet on a cluster:"
                    + " give the variant an InstanceType and InitialInstanceCount instead of a ServerlessConfig.");
        }
        if (deployment.asyncConfig() != null) {
            throw new ValidationException("Asynchronous endpoints run on one Tandem server, not yet on a cluster:"
                    + " leave out AsyncInferenceConfig.");
        }
    }

    /** The cluster's own quotas bound it, not this server's {@code --max-instances}. */
    @Override
    public boolean countsInstances() {
        return false;
    }

    @Override
    public void create(String name, Deployment deployment, EndpointStatus starting) {
        LOG.info("Endpoint {} handed to the cluster", name);
    }

    @Override
    public void delete(String name) {
        store.deleteEndpoint(name);
    }

    @Override
    public void update(String name, String configName, Deployment next) {
        store.endpoint(name)
                .ifPresent(stored ->
                        store.updateEndpoint(stored.withDeployment(configName, next.toJson(), clock.instant())));
    }

    @Override
    public Set<String> variants(String name) {
        Set<String> names = new LinkedHashSet<>();
        store.endpoint(name).ifPresent(stored -> Deployment.fromJson(stored.deployment()).variants().stream()
                .map(VariantDeployment::variantName)
                .forEach(names::add));
        return names;
    }

    /** The weights and counts go into what the endpoint should run; the controller makes them so. */
    @Override
    public void resize(
            StoredEndpoint stored, Map<String, Double> weights, Map<String, Integer> changes, Deployment next) {
        StoredEndpoint resized = stored.withDeployment(stored.configName(), next.toJson(), clock.instant());
        store.updateEndpoint(
                changes.isEmpty()
                        ? resized
                        : resized.withStatus(EndpointStatus.Updating.name(), null, clock.instant()));
    }

    /** The cluster keeps its endpoints running across a restart of this server. */
    @Override
    public void restore() {}

    @Override
    public void close() {}
}
