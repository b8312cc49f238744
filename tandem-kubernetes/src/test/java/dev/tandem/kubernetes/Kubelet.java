package dev.tandem.kubernetes;

import dev.tandem.server.endpoint.InstanceAddress;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1beta1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1beta1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What the tests do in place of a kubelet and the Deployment controller, which do not run here:
 * they write the status those would write. And waiting for what the operator does in the meantime.
 */
public final class Kubelet {
    private Kubelet() {}

    /** Creates namespace {@code name}, as a cluster's administrator would before installing Tandem. */
    public static void namespace(KubernetesClient client, String name) {
        client.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .build())
                .create();
    }

    /** Reports every instance of {@code deployment} ready, as its controller would once each answers /ping. */
    public static void ready(KubernetesClient client, Deployment deployment) {
        client.apps()
                .deployments()
                .inNamespace(deployment.getMetadata().getNamespace())
                .withName(deployment.getMetadata().getName())
                .editStatus(current -> {
                    int replicas = current.getSpec().getReplicas();
                    current.setStatus(new DeploymentStatusBuilder()
                            .withObservedGeneration(current.getMetadata().getGeneration())
                            .withReplicas(replicas)
                            .withUpdatedReplicas(replicas)
                            .withReadyReplicas(replicas)
                            .withAvailableReplicas(replicas)
                            .build());
                    return current;
                });
    }

    /**
     * Publishes {@code ready} as the ready instances of {@code service}, as the EndpointSlice
     * controller does for the pods a Service selects once their readiness probes pass: one slice per
     * instance (a slice's port is its endpoints' port, and the tests' instances listen on ports of
     * their own), the new ones written before the old ones are removed, so that a reader never sees
     * neither. (The API server 1.20 the tests run serves slices as {@code v1beta1}.)
     */
    public static void publish(KubernetesClient client, String namespace, String service, List<InstanceAddress> ready) {
        var slices = client.discovery().v1beta1().endpointSlices().inNamespace(namespace);
        List<EndpointSlice> previous =
                slices.withLabel(SERVICE_NAME, service).list().getItems();
        String generation = Long.toString(System.nanoTime(), 36);
        for (int i = 0; i < ready.size(); i++) {
            InstanceAddress instance = ready.get(i);
            slices.resource(new EndpointSliceBuilder()
                            .withNewMetadata()
                            .withName(service + "-" + generation + "-" + i)
                            .addToLabels(SERVICE_NAME, service)
                            .endMetadata()
                            .withAddressType("IPv4")
                            .addNewEndpoint()
                            .withAddresses(instance.host())
                            .withNewConditions()
                            .withReady(true)
                            .endConditions()
                            .withNewTargetRef()
                            .withKind("Pod")
                            .withNamespace(namespace)
                            .withName(instance.id())
                            .endTargetRef()
                            .endEndpoint()
                            .addNewPort()
                            .withName("http")
                            .withProtocol("TCP")
                            .withPort(instance.port())
                            .endPort()
                            .build())
                    .create();
        }
        for (EndpointSlice slice : previous) {
            slices.withName(slice.getMetadata().getName()).delete();
        }
    }

    private static final String SERVICE_NAME = "kubernetes.io/service-name";

    /** {@code probe}'s first value that is not null, within 60 s; {@code what} names it in the failure. */
    public static <T> T await(Supplier<@Nullable T> probe, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not seen within 60 s: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
