package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.CliProcess;
import dev.tandem.kubernetes.KubeApiServer;
import dev.tandem.kubernetes.Kubelet;
import dev.tandem.kubernetes.resources.EndpointResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
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

/**
 * {@code tandem kubernetes render} and {@code tandem kubernetes operator} as an operator of a
 * cluster uses them, against a real API server: the rendered manifests apply, and the operator
 * process turns a SageMakerEndpoint into instance Deployments and reports it InService once they
 * are ready. (No kubelet runs here: the test writes the Deployment's status, as one would.)
 */
class KubernetesOperatorIT {
    private static final String IMAGE = "registry.example/tandem:it";
    private static final String NAMESPACE = "tandem-it";

    @TempDir
    Path workDir;

    @Test
    void theRenderedManifestsApplyAndTheOperatorRunsAnEndpoint() throws Exception {
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
                            "Deployment");
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
                    Map.of("KUBECONFIG", kubeconfig.toString()))) {
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

                operator.process().destroy();
                assertThat(operator.awaitExit(Duration.ofSeconds(30))).isIn(0, 143);
            }
        }
    }
}
