package dev.tandem.server;

import dev.tandem.server.store.StateStore;

/**
 * A cluster that runs this server's endpoints, for a server that is one of its gateways (Tandem on
 * Kubernetes, in {@code tandem-kubernetes}): the control plane keeps its state in the cluster's
 * store, shared by every gateway, and leaves starting, scaling and replacing instances to the
 * cluster's own controller, which writes each endpoint's status back.
 */
public interface Cluster {

    /** Where models, endpoint configurations, endpoints and the rest are kept. */
    StateStore store();
}
