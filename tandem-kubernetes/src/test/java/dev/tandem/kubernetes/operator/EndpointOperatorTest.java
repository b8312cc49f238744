package dev.tandem.kubernetes.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.kubernetes.ApiServerExtension;
import dev.tandem.kubernetes.Kubelet;
import dev.tandem.kubernetes.store.KubernetesStateStore;
import dev.tandem.server.store.StoredEndpoint;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator against a real API server. No kubelet runs here, so no pod ever starts: the test
 * plays the kubelet's part by writing the Deployments' status, as a cluster would once the
 * instances answer {@code /ping}. Everything else is real.
 */
class EndpointOperatorTest {
    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
    private static final String IMAGE = "registry.example/tandem:test";

    @RegisterExtension
    static final ApiServerExtension API_SERVER = new ApiServerExtension();

    private static KubernetesClient client() {
        return API_SERVER.client();
    }

    // The operator runs for the try block's length; the test talks to the API server, not to it.
    @SuppressWarnings("try")
    @Test
    void anEndpointRunsAsDeploymentsScalesRollsOutBlueGreenFailsWithTheReasonAndIsRemoved(TestInfo test) {
        String namespace = test.getTestMethod()
                .orElseThrow()
                .getName()
                .toLowerCase(Locale.ROOT)
                .substring(0, 40);
        Kubelet.namespace(client(), namespace);
        try (TandemOperator operator = TandemOperator.start(client(), namespace, IMAGE);
                KubernetesStateStore store = KubernetesStateStore.open(client(), namespace)) {
            store.insertEndpoint(endpoint(model("v1"), 2, "Creating"));

            // Created: a ConfigMap with the pipeline, a Deployment of two instances, a Service.
            Deployment first = Kubelet.await(() -> only(deployments(namespace)), "a Deployment");
            assertThat(first.getSpec().getReplicas()).isEqualTo(2);
            assertThat(first.getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getImage())
                    .isEqualTo(IMAGE);
            assertThat(first.getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getArgs())
                    .startsWith("instance", "/etc/tandem/pipeline.json");
            assertThat(first.getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getReadinessProbe()
                            .getHttpGet()
                            .getPath())
                    .isEqualTo("/ping");
            // Sized as the instance type: its CPUs and memory requested, its memory the limit.
            assertThat(first.getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getResources())
                    .satisfies(resources -> {
                        assertThat(resources.getRequests())
                                .containsEntry("cpu", new Quantity("2"))
                                .containsEntry("memory", new Quantity("8Gi"));
                        assertThat(resources.getLimits()).containsEntry("memory", new Quantity("8Gi"));
                    });
            assertThat(first.getMetadata().getOwnerReferences().get(0).getKind())
                    .isEqualTo("SageMakerEndpoint");
            ConfigMap pipeline = Kubelet.await(() -> only(configMaps(namespace)), "a ConfigMap");
            assertThat(json(pipeline.getData().get("pipeline.json"))).isEqualTo(json(model("v1")));
            Service service = Kubelet.await(() -> only(services(namespace)), "a Service");
            assertThat(service.getSpec().getSelector()).containsEntry(InstanceTemplate.REVISION, revision(first));
            assertThat(store.endpoint("penguins").orElseThrow().status()).isEqualTo("Creating");

            // The instances become ready: in service.
            Kubelet.ready(client(), first);
            awaitStatus(store, "InService");

            // UpdateEndpointWeightsAndCapacities: the same revision, scaled.
            store.updateEndpoint(endpoint(model("v1"), 3, "Updating"));
            Kubelet.await(() -> only(deployments(namespace)).getSpec().getReplicas() == 3 ? true : null, "3 replicas");
            awaitStatus(store, "Updating");
            Kubelet.ready(client(), only(deployments(namespace)));
            awaitStatus(store, "InService");

            // UpdateEndpoint with another model: blue/green.
            store.updateEndpoint(endpoint(model("v2"), 3, "Updating"));
            List<Deployment> both = Kubelet.await(
                    () -> deployments(namespace).size() == 2 ? deployments(namespace) : null, "a second Deployment");
            Deployment green = both.stream()
                    .filter(d -> !revision(d).equals(revision(first)))
                    .findFirst()
                    .orElseThrow();
            awaitStatus(store, "Updating");
            assertThat(services(namespace).get(0).getSpec().getSelector())
                    .as("the old revision serves until the new one is ready")
                    .containsEntry(InstanceTemplate.REVISION, revision(first));
            Kubelet.ready(client(), green);
            awaitStatus(store, "InService");
            assertThat(only(deployments(namespace)).getMetadata().getName())
                    .isEqualTo(green.getMetadata().getName());
            assertThat(json(only(configMaps(namespace)).getData().get("pipeline.json")))
                    .isEqualTo(json(model("v2")));
            assertThat(only(services(namespace)).getSpec().getSelector())
                    .containsEntry(InstanceTemplate.REVISION, revision(green));

            // An update whose rollout cannot progress is rolled back, with Kubernetes' own reason.
            store.updateEndpoint(endpoint(model("v3"), 3, "Updating"));
            Deployment broken = Kubelet.await(
                    () -> deployments(namespace).stream()
                            .filter(d -> !revision(d).equals(revision(green)))
                            .findFirst()
                            .orElse(null),
                    "a third revision");
            stuck(namespace, broken);
            Kubelet.await(
                    () -> {
                        StoredEndpoint seen = store.endpoint("penguins").orElseThrow();
                        return seen.failureReason() != null
                                        && json(seen.deployment())
                                                .at("/Variants/0/Model")
                                                .equals(json(model("v2")))
                                ? true
                                : null;
                    },
                    "the update failed and rolled back");
            StoredEndpoint rolledBack = store.endpoint("penguins").orElseThrow();
            assertThat(rolledBack.status()).isEqualTo("InService");
            assertThat(rolledBack.failureReason())
                    .isEqualTo("Update failed: Variant AllTraffic: ProgressDeadlineExceeded: ReplicaSet has timed out"
                            + " progressing.");
            assertThat(json(rolledBack.deployment()).at("/Variants/0/Model"))
                    .as("the configuration that served is the endpoint's again")
                    .isEqualTo(json(model("v2")));
            assertThat(only(services(namespace)).getSpec().getSelector())
                    .as("the revision that worked still serves")
                    .containsEntry(InstanceTemplate.REVISION, revision(green));
            Kubelet.await(
                    () -> deployments(namespace).size() == 1
                                    && revision(only(deployments(namespace))).equals(revision(green))
                            ? true
                            : null,
                    "the revision that failed removed");
            assertThat(store.endpoint("penguins").orElseThrow().failureReason())
                    .as("the reason stays until the next change")
                    .startsWith("Update failed: ");

            // A new endpoint whose rollout cannot progress fails, with the same reason.
            store.insertEndpoint(endpoint("broken", model("v1"), 1, "Creating"));
            Deployment never = Kubelet.await(
                    () -> deployments(namespace).stream()
                            .filter(d -> d.getMetadata().getName().startsWith("broken-"))
                            .findFirst()
                            .orElse(null),
                    "the new endpoint's Deployment");
            stuck(namespace, never);
            Kubelet.await(
                    () -> store.endpoint("broken").orElseThrow().status().equals("Failed") ? true : null,
                    "the new endpoint Failed");
            assertThat(store.endpoint("broken").orElseThrow().failureReason())
                    .isEqualTo("Variant AllTraffic: ProgressDeadlineExceeded: ReplicaSet has timed out progressing.");
            assertThat(store.deleteEndpoint("broken")).isTrue();

            // DeleteEndpoint: everything it owned goes with it.
            assertThat(store.deleteEndpoint("penguins")).isTrue();
            Kubelet.await(() -> store.endpoint("penguins").isEmpty() ? true : null, "the endpoint gone");
            Kubelet.await(
                    () -> deployments(namespace).isEmpty()
                                    && services(namespace).isEmpty()
                                    && configMaps(namespace).isEmpty()
                            ? true
                            : null,
                    "its Deployments, Services and ConfigMaps gone");
        }
    }

    /** What the Deployment controller reports of a rollout whose pods never become ready. */
    private static void stuck(String namespace, Deployment deployment) {
        client().apps()
                .deployments()
                .inNamespace(namespace)
                .withName(deployment.getMetadata().getName())
                .editStatus(d -> {
                    d.setStatus(new DeploymentStatusBuilder()
                            .withObservedGeneration(d.getMetadata().getGeneration())
                            .withConditions(new DeploymentConditionBuilder()
                                    .withType("Progressing")
                                    .withStatus("False")
                                    .withReason("ProgressDeadlineExceeded")
                                    .withMessage("ReplicaSet has timed out progressing.")
                                    .build())
                            .build());
                    return d;
                });
    }

    /** The endpoint as the control plane writes it: Creating on CreateEndpoint, Updating on an update. */
    private static StoredEndpoint endpoint(String model, int instances, String status) {
        return endpoint("penguins", model, instances, status);
    }

    private static StoredEndpoint endpoint(String name, String model, int instances, String status) {
        String deployment =
                """
                {"Variants": [{"VariantName": "AllTraffic", "Model": %s, "InstanceCount": %d, "Weight": 1.0,
                  "InstanceType": "ml.m5.large"}]}
                """
                        .formatted(model, instances);
        return new StoredEndpoint(
                name,
                "arn:aws:sagemaker:us-east-1:000000000000:endpoint/" + name,
                "config",
                deployment,
                status,
                null,
                T0,
                T0);
    }

    private static String model(String tag) {
        return "{\"ModelName\":\"penguins\",\"Containers\":[{\"Image\":\"builtin:identity\",\"Environment\":{\"TAG\":\""
                + tag + "\"}}]}";
    }

    private static JsonNode json(String text) {
        try {
            return new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private static String revision(Deployment deployment) {
        return deployment.getMetadata().getLabels().get(InstanceTemplate.REVISION);
    }

    private static List<Deployment> deployments(String namespace) {
        return client().apps().deployments().inNamespace(namespace).list().getItems();
    }

    private static List<Service> services(String namespace) {
        return client().services().inNamespace(namespace).list().getItems();
    }

    private static List<ConfigMap> configMaps(String namespace) {
        return client().configMaps()
                .inNamespace(namespace)
                .withLabel(InstanceTemplate.MANAGED_BY, "tandem")
                .list()
                .getItems();
    }

    private static <T> T only(List<T> items) {
        return items.size() == 1 ? items.get(0) : null;
    }

    private static void awaitStatus(KubernetesStateStore store, String status) {
        Kubelet.await(
                () -> store.endpoint("penguins").orElseThrow().status().equals(status) ? true : null,
                "status " + status + " (is " + store.endpoint("penguins").map(StoredEndpoint::status) + ")");
    }
}
