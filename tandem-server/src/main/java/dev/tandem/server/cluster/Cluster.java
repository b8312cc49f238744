package dev.tandem.server.cluster;

import dev.tandem.server.endpoint.InstanceAddress;
import dev.tandem.server.store.StateStore;
import java.util.List;

/**
 * A cluster that runs this server's endpoints, for a server that is one of its gateways (Tandem on
 * Kubernetes, in {@code tandem-kubernetes}): the control plane keeps its state in the cluster's
 * store, shared by every gateway, and leaves starting, scaling and replacing instances to the
 * cluster's own controller, which writes each endpoint's status back. The gateway routes each
 * invocation to an instance the cluster reports ready.
 */
public interface Cluster extends AutoCloseable {

    /** Where models, endpoint configurations, endpoints and the rest are kept. */
    StateStore store();

    /** The instances of variant {@code variant} of endpoint {@code endpoint} that are ready to serve now. */
    List<InstanceAddress> readyInstances(String endpoint, String variant);

    /**
     * Runs {@code listener} after every change of an endpoint or of where its instances are ready, on
     * a thread of the cluster's; it should only note that something changed.
     */
    void onChange(Runnable listener);

    /** Stops watching the cluster and closes its store. */
    @Override
    void close();
}
