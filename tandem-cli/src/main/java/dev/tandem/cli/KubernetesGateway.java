package dev.tandem.cli;

import dev.tandem.kubernetes.KubernetesCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jspecify.annotations.Nullable;

/** The cluster {@code tandem serve --kubernetes} is a gateway of. */
final class KubernetesGateway {
    private KubernetesGateway() {}

    /**
     * The namespace's cluster, reached as kubectl would reach it (in a pod through its service
     * account; outside through KUBECONFIG or ~/.kube/config).
     *
     * @param namespace the namespace, or null for $TANDEM_NAMESPACE, else the client configuration's
     * @throws IllegalArgumentException when the API server cannot be reached or Tandem's custom
     *     resources are not installed
     */
    static KubernetesCluster cluster(@Nullable String namespace) {
        KubernetesClient client = new KubernetesClientBuilder().build();
        String chosen = namespace != null
                ? namespace
                : System.getenv()
                        .getOrDefault(
                                "TANDEM_NAMESPACE", client.getNamespace() == null ? "default" : client.getNamespace());
        try {
            return KubernetesCluster.open(client, chosen);
        } catch (KubernetesClientException e) {
            throw new IllegalArgumentException(
                    "cannot serve namespace " + chosen + " of the Kubernetes API server at "
                            + client.getConfiguration().getMasterUrl()
                            + " (are Tandem's resources installed, `tandem kubernetes render`, and may this"
                            + " account read them and the EndpointSlices?): " + e.getMessage(),
                    e);
        }
    }
}
