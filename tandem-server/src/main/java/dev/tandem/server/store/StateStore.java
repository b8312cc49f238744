package dev.tandem.server.store;

import java.util.List;
import java.util.Optional;

/**
 * Where the control plane keeps what users created. Every write is durable when the method
 * returns, so an operation answers only after its effect survives a crash.
 */
public interface StateStore extends AutoCloseable {

    /** Adds a model; false when one of that name exists. */
    boolean insertModel(StoredModel model);

    Optional<StoredModel> model(String name);

    List<StoredModel> models();

    boolean deleteModel(String name);

    boolean insertEndpointConfig(StoredEndpointConfig config);

    Optional<StoredEndpointConfig> endpointConfig(String name);

    List<StoredEndpointConfig> endpointConfigs();

    boolean deleteEndpointConfig(String name);

    boolean insertEndpoint(StoredEndpoint endpoint);

    /** Replaces the stored endpoint of the same name. */
    void updateEndpoint(StoredEndpoint endpoint);

    Optional<StoredEndpoint> endpoint(String name);

    List<StoredEndpoint> endpoints();

    boolean deleteEndpoint(String name);

    boolean insertTransformJob(StoredTransformJob job);

    /** Replaces the stored job of the same name. */
    void updateTransformJob(StoredTransformJob job);

    Optional<StoredTransformJob> transformJob(String name);

    List<StoredTransformJob> transformJobs();

    boolean insertFeatureGroup(StoredFeatureGroup group);

    /** Replaces the stored group of the same name. */
    void updateFeatureGroup(StoredFeatureGroup group);

    List<StoredFeatureGroup> featureGroups();

    boolean deleteFeatureGroup(String name);

    @Override
    void close();
}
