package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.Gateway;
import dev.tandem.it.support.InstancePod;
import dev.tandem.kubernetes.KubeApiServer;
import dev.tandem.kubernetes.Kubelet;
import dev.tandem.kubernetes.Manifests;
import dev.tandem.kubernetes.operator.ChildNames;
import dev.tandem.kubernetes.resources.EndpointResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.EndpointStatus;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeClient;
import software.amazon.awssdk.services.sagemakerruntime.model.SageMakerRuntimeException;

/**
 * {@code tandem kubernetes render}, {@code tandem kubernetes operator} and {@code tandem serve
 * --kubernetes} as an operator of a cluster uses them, against a real API server with RBAC: the
 * rendered manifests apply; the operator process, acting as the operator's service account and
 * nothing more, turns a SageMakerEndpoint into instance Deployments and reports it InService once
 * they are ready; a gateway acting as the gateways' service account reads it, routes an invocation
 * to its instance, and may not touch what only the operator may. (No kubelet runs here: the test
 * writes the Deployment's status and starts the instance, as one would.)
 */
class KubernetesOperatorIT {
    /**
     * Makes a process's Kubernetes client act as another user (the fabric8 client reads it, as
     * kubectl's {@code --as}): here a service account, so RBAC applies to it as in its pod.
     */
    private static final String IMPERSONATE = "KUBERNETES_IMPERSONATE_USERNAME";

    private static final String IMAGE = "registry.example/tandem:it";
    private static final String NAMESPACE = "tandem-it";

    @TempDir
    Path workDir;

    @Test
    void theRenderedManifestsApplyAndTheOperatorAndAGatewayServeAnEndpointAsTheirServiceAccounts() throws Exception {
        try (KubeApiServer apiServer = KubeApiServer.start();
                KubernetesClient client = apiServer.client()) {
            CliProcess render =
                    CliProcess.run(List.of("kubernetes", "render", "--image", IMAGE, "--namespace", NAMESPACE));
            assertThat(render.awaitExit(Duration.ofSeconds(60)))
                    .as(render.stderr())
                    .isZero();
            List<HasMetadata> manifests = client.load(
                            new ByteArrayInputStream(render.stdout().getBytes(StandardCharsets.UTF_8)))
                    .items();
            assertThat(manifests)
                    .extracting(HasMetadata::getKind)
                    .contains(
                            "CustomResourceDefinition",
                            "Namespace",
                            "ServiceAccount",
                            "Role",
                            "RoleBinding",
                            "Deployment",
                            "Service");
            for (HasMetadata manifest : manifests) {
                client.resource(manifest)
                        .fieldManager("kubectl")
                        .forceConflicts()
                        .serverSideApply();
            }
            assertThat(client.apps()
                            .deployments()
                            .inNamespace(NAMESPACE)
                            .withName("tandem-operator")
                            .get()
                            .getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getImage())
                    .isEqualTo(IMAGE);

            Path kubeconfig = workDir.resolve("kubeconfig");
            Files.writeString(kubeconfig, apiServer.kubeConfigYaml());
            try (CliProcess operator = CliProcess.start(
                    List.of("kubernetes", "operator", "--instance-image", IMAGE, "--namespace", NAMESPACE),
                    Map.of("KUBECONFIG", kubeconfig.toString(), IMPERSONATE, serviceAccount(Manifests.OPERATOR)))) {
                operator.awaitStderr(
                        Pattern.compile("Operator for the endpoints of namespace " + NAMESPACE),
                        Duration.ofSeconds(60));
                client.resource(client.getKubernetesSerialization()
                                .unmarshal(
                                        """
                                apiVersion: sagemaker.tandem.dev/v1
                                kind: SageMakerEndpoint
                                metadata: {name: iris, namespace: %s}
                                spec:
                                  name: iris
                                  arn: arn:aws:sagemaker:us-east-1:000000000000:endpoint/iris
                                  configName: iris-config
                                  createdAt: "2026-12-06T00:00:00Z"
                                  deployment:
                                    Variants:
                                    - VariantName: AllTraffic
                                      InstanceCount: 1
                                      Weight: 1.0
                                      Model: {ModelName: iris, Containers: [{Image: "builtin:identity"}]}
                                """
                                                .formatted(NAMESPACE),
                                        EndpointResource.class))
                        .create();

                Deployment deployment = Kubelet.await(
                        () -> client
                                .apps()
                                .deployments()
                                .inNamespace(NAMESPACE)
                                .withLabel("sagemaker.tandem.dev/endpoint", "iris")
                                .list()
                                .getItems()
                                .stream()
                                .findFirst()
                                .orElse(null),
                        "the endpoint's Deployment");
                assertThat(deployment
                                .getSpec()
                                .getTemplate()
                                .getSpec()
                                .getContainers()
                                .get(0)
                                .getImage())
                        .isEqualTo(IMAGE);
                Kubelet.ready(client, deployment);
                Kubelet.await(
                        () -> {
                            EndpointResource endpoint = client.resources(EndpointResource.class)
                                    .inNamespace(NAMESPACE)
                                    .withName("iris")
                                    .get();
                            return endpoint.getStatus() != null
                                            && endpoint.getStatus().status().equals("InService")
                                    ? endpoint
                                    : null;
                        },
                        "the endpoint InService");

                // A gateway as the gateways' service account: it reads the endpoint, routes to its
                // instance, keeps SageMaker's resources — and may start nothing itself.
                try (Gateway gateway = Gateway.start(
                                kubeconfig,
                                NAMESPACE,
                                workDir.resolve("gateway"),
                                Map.of(IMPERSONATE, serviceAccount(Manifests.GATEWAY)));
                        InstancePod pod = InstancePod.start(client, deployment, "iris-pod-1", workDir)) {
                    Kubelet.publish(
                            client, NAMESPACE, ChildNames.service("iris", "AllTraffic"), List.of(pod.address()));
                    SageMakerClient sm = gateway.sageMaker();
                    assertThat(sm.describeEndpoint(r -> r.endpointName("iris")).endpointStatus())
                            .isEqualTo(EndpointStatus.IN_SERVICE);
                    sm.createModel(r ->
                            r.modelName("written-by-the-gateway").primaryContainer(c -> c.image("builtin:identity")));
                    SageMakerRuntimeClient runtime = gateway.runtime();
                    String answer = Kubelet.await(
                            () -> {
                                try {
                                    return runtime.invokeEndpoint(r -> r.endpointName("iris")
                                                    .contentType("text/csv")
                                                    .body(SdkBytes.fromUtf8String("5.1,3.5")))
                                            .body()
                                            .asUtf8String();
                                } catch (SageMakerRuntimeException e) {
                                    return null; // until the gateway has seen the instance
                                }
                            },
                            "an answer through the gateway");
                    assertThat(answer).isEqualTo("5.1,3.5");

                    Config asGateway = Config.fromKubeconfig(apiServer.kubeConfigYaml());
                    asGateway.setImpersonateUsername(serviceAccount(Manifests.GATEWAY));
                    try (KubernetesClient gatewayClient =
                            new KubernetesClientBuilder().withConfig(asGateway).build()) {
                        assertThat(gatewayClient
                                        .discovery()
                                        .v1beta1()
                                        .endpointSlices()
                                        .inNamespace(NAMESPACE)
                                        .list()
                                        .getItems())
                                .isNotEmpty();
                        assertThatThrownBy(() -> gatewayClient
                                        .apps()
                                        .deployments()
                                        .inNamespace(NAMESPACE)
                                        .withName(deployment.getMetadata().getName())
                                        .scale(5))
                                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode())
                                        .isEqualTo(403));
                        assertThatThrownBy(() -> gatewayClient
                                        .secrets()
                                        .inNamespace(NAMESPACE)
                                        .list())
                                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode())
                                        .isEqualTo(403));
                    }
                }

                operator.process().destroy();
                assertThat(operator.awaitExit(Duration.ofSeconds(30))).isIn(0, 143);
            }
        }
    }

    private static String serviceAccount(String name) {
        return "system:serviceaccount:" + NAMESPACE + ":" + name;
    }
}
