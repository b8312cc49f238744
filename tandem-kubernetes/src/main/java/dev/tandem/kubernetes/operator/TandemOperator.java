package dev.tandem.kubernetes.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;

/**
 * The operator that runs Tandem's endpoints in a cluster: the Java Operator SDK with the {@link
 * EndpointReconciler}, watching one namespace.
 */
public final class TandemOperator implements AutoCloseable {
    /** Where instances listen in their pods, as SageMaker's containers do. */
    public static final int INSTANCE_PORT = 8080;

    private final Operator operator;

    private TandemOperator(Operator operator) {
        this.operator = operator;
    }

    /**
     * Starts reconciling the endpoints of {@code namespace}, running {@code image} as their instances.
     * The client stays the caller's: stopping the operator does not close it.
     */
    public static TandemOperator start(KubernetesClient client, String namespace, String image) {
        Operator operator =
                new Operator(overrider -> overrider.withKubernetesClient(client).withCloseClientOnStop(false));
        operator.register(
                new EndpointReconciler(image, INSTANCE_PORT, Clock.systemUTC()),
                configuration -> configuration.settingNamespaces(namespace));
        operator.start();
        return new TandemOperator(operator);
    }

    @Override
    public void close() {
        operator.stop();
    }
}
