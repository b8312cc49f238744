package dev.tandem.kubernetes;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What the tests do in place of a kubelet and the Deployment controller, which do not run here:
 * they write the status those would write. And waiting for what the operator does in the meantime.
 */
public final class Kubelet {
    private Kubelet() {}

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
