package dev.tandem.kubernetes;

import dev.tandem.kubernetes.gateway.ReadyInstances;
import dev.tandem.kubernetes.store.KubernetesStateStore;
import dev.tandem.server.cluster.Cluster;
import dev.tandem.server.endpoint.InstanceAddress;
import dev.tandem.server.store.StateStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/**
 * A Kubernetes namespace as the cluster a Tandem gateway serves: the control plane's state is
 * Tandem's custom resources there, the operator runs the endpoints, and the variants' Services
 * publish their ready instances for the gateway to route to.
 */
public final class KubernetesCluster implements Cluster {
    private final KubernetesStateStore store;
    private final ReadyInstances instances;

    private KubernetesCluster(KubernetesStateStore store, ReadyInstances instances) {
        this.store = store;
        this.instances = instances;
    }

    /**
     * The cluster behind {@code client}'s API server, in {@code namespace}; the client is the
     * cluster's from then on, closed with the server's store.
     */
    public static KubernetesCluster open(KubernetesClient client, String namespace) {
        KubernetesStateStore store = KubernetesStateStore.owning(client, namespace);
        try {
            return new KubernetesCluster(store, ReadyInstances.watch(client, namespace));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    @Override
    public StateStore store() {
        return store;
    }

    @Override
    public List<InstanceAddress> readyInstances(String endpoint, String variant) {
        return instances.readyInstances(endpoint, variant);
    }

    @Override
    public void onChange(Runnable listener) {
        store.onEndpointChange(listener);
        instances.onChange(listener);
    }

    /** Stops watching, and closes the store and its client. */
    @Override
    public void close() {
        instances.close();
        store.close();
    }
}
