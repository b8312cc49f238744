package dev.tandem.server.control;

import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.server.store.StoredEndpoint;
import java.util.Map;
import java.util.Set;

/**
 * Where the instances of the control plane's endpoints run, and who brings them about once an
 * operation has been stored: this server ({@link EndpointLifecycle}, which starts, replaces and
 * stops them itself) or a cluster's own controller ({@link ClusterPlacement}, which reads the
 * stored endpoints and writes their status back).
 *
 * <p>Every method is called under the control plane's lock, after the operation's checks.
 */
interface Placement extends AutoCloseable {

    /** Checks that {@code model} can run where endpoints are placed; ValidationException if not. */
    void check(PipelineDefinition model);

    /** Checks that {@code deployment} can run where endpoints are placed; ValidationException if not. */
    void check(Deployment deployment);

    /** Whether the server's {@code --max-instances} bounds the instances placed (this machine's). */
    boolean countsInstances();

    /** Starts the stored endpoint {@code name}: InService once its instances are, else Failed. */
    void create(String name, Deployment deployment, EndpointStatus starting);

    /** Takes endpoint {@code name} out of service, stops it and removes it from the store. */
    void delete(String name);

    /** Moves endpoint {@code name} to {@code next} blue/green (the endpoint is already Updating). */
    void update(String name, String configName, Deployment next);

    /** The variants endpoint {@code name} runs now, for the names an update gives. */
    Set<String> variants(String name);

    /**
     * UpdateEndpointWeightsAndCapacities once checked: {@code weights} take effect at once; {@code
     * changes} (instances added or removed, by variant) in the background, the endpoint Updating.
     */
    void resize(StoredEndpoint stored, Map<String, Double> weights, Map<String, Integer> changes, Deployment next);

    /** Brings back what a previous server left running; the store says what that was. */
    void restore();

    @Override
    void close();
}
