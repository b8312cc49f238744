package dev.tandem.kubernetes;

import dev.tandem.kubernetes.store.KubernetesStateStore;
import dev.tandem.server.Cluster;
import dev.tandem.server.store.StateStore;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * A Kubernetes namespace as the cluster a Tandem gateway serves: the control plane's state is
 * Tandem's custom resources there, and the operator runs the endpoints.
 */
public final class KubernetesCluster implements Cluster {
    private final KubernetesStateStore store;

    private KubernetesCluster(KubernetesStateStore store) {
        this.store = store;
    }

    /**
     * The cluster behind {@code client}'s API server, in {@code namespace}; the client is the
     * cluster's from then on, closed with the server's store.
     */
    public static KubernetesCluster open(KubernetesClient client, String namespace) {
        return new KubernetesCluster(KubernetesStateStore.owning(client, namespace));
    }

    @Override
    public StateStore store() {
        return store;
    }
}
