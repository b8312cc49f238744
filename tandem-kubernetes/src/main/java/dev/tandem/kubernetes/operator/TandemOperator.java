package dev.tandem.kubernetes.operator;

import dev.tandem.kubernetes.Manifests;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator that runs Tandem's endpoints in a cluster: the Java Operator SDK with the {@link
 * EndpointReconciler}, watching one namespace. Any number may run; one at a time reconciles — the
 * holder of a Lease in that namespace — and another takes over when it stops renewing it.
 */
public final class TandemOperator implements AutoCloseable {
    /** Where instances listen in their pods, as SageMaker's containers do. */
    public static final int INSTANCE_PORT = 8080;

    private static final Logger LOG = LoggerFactory.getLogger(TandemOperator.class);
    // Kubernetes' own controllers' defaults: a new leader within about 15 s of the last one's end.
    private static final Duration LEASE_DURATION = Duration.ofSeconds(15);
    private static final Duration RENEW_DEADLINE = Duration.ofSeconds(10);
    private static final Duration RETRY_PERIOD = Duration.ofSeconds(2);

    private final Operator operator;

    private TandemOperator(Operator operator) {
        this.operator = operator;
    }

    /**
     * Starts reconciling the endpoints of {@code namespace}, running {@code image} as their
     * instances, once this operator holds the namespace's Lease. The client stays the caller's:
     * stopping the operator does not close it.
     */
    public static TandemOperator start(KubernetesClient client, String namespace, String image) {
        return start(client, namespace, image, InstanceTypes.defaults());
    }

    /** As {@link #start(KubernetesClient, String, String)}, sizing instances' pods by {@code types}. */
    public static TandemOperator start(KubernetesClient client, String namespace, String image, InstanceTypes types) {
        String identity = System.getenv().getOrDefault("HOSTNAME", "tandem") + "-" + UUID.randomUUID();
        Operator operator = new Operator(overrider -> overrider
                .withKubernetesClient(client)
                .withCloseClientOnStop(false)
                .withLeaderElectionConfiguration(new LeaderElectionConfiguration(
                        Manifests.OPERATOR,
                        namespace,
                        LEASE_DURATION,
                        RENEW_DEADLINE,
                        RETRY_PERIOD,
                        identity,
                        new LeaderCallbacks(
                                () -> LOG.info("{} leads: reconciling the endpoints of {}", identity, namespace),
                                () -> LOG.info("{} no longer leads", identity),
                                leader -> LOG.info("The operator leading in {} is {}", namespace, leader)),
                        // The SDK's default ends the process on losing the lead; a caller that
                        // stops the operator keeps its process.
                        false)));
        operator.register(
                new EndpointReconciler(image, INSTANCE_PORT, types, Clock.systemUTC()),
                configuration -> configuration.settingNamespaces(namespace));
        operator.start();
        return new TandemOperator(operator);
    }

    @Override
    public void close() {
        operator.stop();
    }
}
