package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.Gateway;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.kubernetes.KubeApiServer;
import dev.tandem.kubernetes.Kubelet;
import dev.tandem.kubernetes.operator.TandemOperator;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointRequest;
import software.amazon.awssdk.services.sagemaker.model.DesiredWeightAndCapacity;
import software.amazon.awssdk.services.sagemaker.model.EndpointStatus;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariantServerlessConfig;
import software.amazon.awssdk.services.sagemaker.model.SageMakerException;

/**
 * {@code tandem serve --kubernetes}: SageMaker's control plane as a stateless gateway of a
 * cluster, driven by the AWS SDK as deployment code drives SageMaker. The state is the API
 * server's (a real one); the operator runs the endpoints; two gateways share everything. No
 * kubelet runs here: the test writes the Deployments' status as one would.
 */
class KubernetesGatewayIT {
    private static final String IMAGE = "registry.example/tandem:it";
    private static final String NAMESPACE = "gateway-it";

    @TempDir
    Path workDir;

    // The operator runs for the try block's length; the test talks to it through the API server.
    @SuppressWarnings("try")
    @Test
    void theSdkCreatesScalesAndDeletesAnEndpointThatTheClusterRuns() throws Exception {
        try (KubeApiServer apiServer = KubeApiServer.start();
                KubernetesClient client = apiServer.client()) {
            Kubelet.namespace(client, NAMESPACE);
            Path kubeconfig = workDir.resolve("kubeconfig");
            Files.writeString(kubeconfig, apiServer.kubeConfigYaml());
            try (TandemOperator operator = TandemOperator.start(client, NAMESPACE, IMAGE);
                    Gateway first = Gateway.start(kubeconfig, NAMESPACE, workDir.resolve("first"), Map.of());
                    Gateway second = Gateway.start(kubeconfig, NAMESPACE, workDir.resolve("second"), Map.of())) {
                SageMakerClient sm = first.sageMaker();
                SageMakerClient other = second.sageMaker();

                // The model's program lives in the instances' image: nothing to find beside the gateway.
                sm.createModel(r -> r.modelName("scorer")
                        .primaryContainer(ContainerDefinition.builder()
                                .image("exec:/opt/program/serve")
                                .build()));
                sm.createEndpointConfig(r -> r.endpointConfigName("scorer-config")
                        .productionVariants(ProductionVariant.builder()
                                .variantName("AllTraffic")
                                .modelName("scorer")
                                .instanceType("ml.m5.large")
                                .initialInstanceCount(2)
                                .build()));
                sm.createEndpoint(r -> r.endpointName("scorer").endpointConfigName("scorer-config"));
                assertThat(sm.describeEndpoint(r -> r.endpointName("scorer")).endpointStatus())
                        .isEqualTo(EndpointStatus.CREATING);
                assertThat(other.listEndpoints(r -> {}).endpoints())
                        .as("a gateway holds no state of its own")
                        .extracting(e -> e.endpointName())
                        .containsExactly("scorer");

                Deployment deployment = Kubelet.await(() -> only(client, 2), "the operator's Deployment of 2");
                Kubelet.ready(client, deployment);
                sm.waiter().waitUntilEndpointInService(describe("scorer"), TandemFixture.FAST_WAITER);
                assertThat(other.describeEndpoint(r -> r.endpointName("scorer")).endpointStatus())
                        .isEqualTo(EndpointStatus.IN_SERVICE);

                // UpdateEndpointWeightsAndCapacities: the cluster scales the variant.
                sm.updateEndpointWeightsAndCapacities(r -> r.endpointName("scorer")
                        .desiredWeightsAndCapacities(DesiredWeightAndCapacity.builder()
                                .variantName("AllTraffic")
                                .desiredInstanceCount(3)
                                .build()));
                assertThat(sm.describeEndpoint(r -> r.endpointName("scorer")).endpointStatus())
                        .isEqualTo(EndpointStatus.UPDATING);
                Deployment scaled = Kubelet.await(() -> only(client, 3), "the Deployment scaled to 3");
                Kubelet.ready(client, scaled);
                sm.waiter().waitUntilEndpointInService(describe("scorer"), TandemFixture.FAST_WAITER);

                // What only one machine can do is refused, saying so.
                sm.createEndpointConfig(r -> r.endpointConfigName("serverless-config")
                        .productionVariants(ProductionVariant.builder()
                                .variantName("AllTraffic")
                                .modelName("scorer")
                                .serverlessConfig(ProductionVariantServerlessConfig.builder()
                                        .memorySizeInMB(2048)
                                        .maxConcurrency(2)
                                        .build())
                                .build()));
                assertThatThrownBy(() -> sm.createEndpoint(
                                r -> r.endpointName("serverless").endpointConfigName("serverless-config")))
                        .isInstanceOf(SageMakerException.class)
                        .hasMessageContaining("Serverless variants run on one Tandem server, not yet on a cluster");

                // DeleteEndpoint, through the other gateway: the cluster removes the instances.
                other.deleteEndpoint(r -> r.endpointName("scorer"));
                sm.waiter().waitUntilEndpointDeleted(describe("scorer"), TandemFixture.FAST_WAITER);
                Kubelet.await(
                        () -> client.apps()
                                        .deployments()
                                        .inNamespace(NAMESPACE)
                                        .list()
                                        .getItems()
                                        .isEmpty()
                                ? true
                                : null,
                        "the Deployment removed");
            }
        }
    }

    private static DescribeEndpointRequest describe(String endpoint) {
        return DescribeEndpointRequest.builder().endpointName(endpoint).build();
    }

    private static Deployment only(KubernetesClient client, int replicas) {
        List<Deployment> deployments =
                client.apps().deployments().inNamespace(NAMESPACE).list().getItems();
        return deployments.size() == 1 && deployments.get(0).getSpec().getReplicas() == replicas
                ? deployments.get(0)
                : null;
    }
}
