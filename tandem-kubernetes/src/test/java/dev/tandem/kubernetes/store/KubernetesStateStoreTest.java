package dev.tandem.kubernetes.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.kubernetes.ApiServerExtension;
import dev.tandem.kubernetes.Kubelet;
import dev.tandem.kubernetes.resources.EndpointResource;
import dev.tandem.kubernetes.resources.ModelResource;
import dev.tandem.server.store.StoredEndpoint;
import dev.tandem.server.store.StoredEndpointConfig;
import dev.tandem.server.store.StoredFeatureGroup;
import dev.tandem.server.store.StoredModel;
import dev.tandem.server.store.StoredTransformJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The control plane's state kept as custom resources by a real API server. */
class KubernetesStateStoreTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:15:30.123Z");

    @RegisterExtension
    static final ApiServerExtension API_SERVER = new ApiServerExtension();

    private static KubernetesClient client() {
        return API_SERVER.client();
    }

    /** A namespace of its own for each test, so that tests do not see each other's objects. */
    private static String createNamespace(TestInfo test) {
        String name = namespaceOf(test);
        Kubelet.namespace(client(), name);
        return name;
    }

    @Test
    void keepsEveryKindAndAnswersWhatItWroteAtOnce(TestInfo test) {
        try (KubernetesStateStore store = KubernetesStateStore.open(client(), createNamespace(test))) {
            assertThat(store.insertModel(new StoredModel("penguins", "arn:m", "{\"ModelName\":\"penguins\"}", T0)))
                    .isTrue();
            assertThat(store.insertEndpointConfig(new StoredEndpointConfig("c", "arn:c", "{\"a\":[1,2.5]}", T0)))
                    .isTrue();
            assertThat(store.insertEndpoint(
                            new StoredEndpoint("e", "arn:e", "c", "{\"variants\":[]}", "Creating", null, T0, T0)))
                    .isTrue();
            assertThat(store.insertTransformJob(new StoredTransformJob(
                            "j", "arn:j", "{\"TransformJobName\":\"j\"}", "InProgress", null, T0, null, null, T0)))
                    .isTrue();
            assertThat(store.insertFeatureGroup(new StoredFeatureGroup("g_1", "arn:g", "{\"x\":1}", T0)))
                    .isTrue();

            assertThat(store.model("penguins"))
                    .contains(new StoredModel("penguins", "arn:m", "{\"ModelName\":\"penguins\"}", T0));
            assertThat(store.endpointConfig("c").orElseThrow().definition()).isEqualTo("{\"a\":[1,2.5]}");
            assertThat(store.endpoint("e"))
                    .contains(new StoredEndpoint("e", "arn:e", "c", "{\"variants\":[]}", "Creating", null, T0, T0));
            assertThat(store.transformJob("j").orElseThrow().status()).isEqualTo("InProgress");
            assertThat(store.featureGroups())
                    .extracting(StoredFeatureGroup::name)
                    .containsExactly("g_1");

            StoredEndpoint updated = store.endpoint("e")
                    .orElseThrow()
                    .withDeployment("c2", "{\"variants\":[1]}", T0.plusSeconds(1))
                    .withStatus("Updating", null, T0.plusSeconds(1));
            store.updateEndpoint(updated);
            assertThat(store.endpoint("e")).contains(updated);
            store.updateEndpoint(updated.withStatus("Failed", "the model would not load", T0.plusSeconds(2)));
            assertThat(store.endpoint("e").orElseThrow().failureReason()).isEqualTo("the model would not load");

            StoredTransformJob job = store.transformJob("j").orElseThrow();
            store.updateTransformJob(job.started(T0.plusSeconds(3)).withStatus("Completed", null, T0.plusSeconds(9)));
            StoredTransformJob done = store.transformJob("j").orElseThrow();
            assertThat(done.status()).isEqualTo("Completed");
            assertThat(done.startedAt()).isEqualTo(T0.plusSeconds(3));
            assertThat(done.endedAt()).isEqualTo(T0.plusSeconds(9));

            // kubectl shows the resources under their SageMaker names, statuses as status.
            EndpointResource resource = client().resources(EndpointResource.class)
                    .inNamespace(namespaceOf(test))
                    .withName("e")
                    .get();
            assertThat(resource.getStatus().status()).isEqualTo("Failed");
        }
    }

    private static String namespaceOf(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName().toLowerCase(Locale.ROOT);
        return name.substring(0, Math.min(50, name.length()));
    }

    @Test
    void refusesDuplicatesDeletesOnceAndKeepsNamesThatDifferOnlyInCase(TestInfo test) {
        try (KubernetesStateStore store = KubernetesStateStore.open(client(), createNamespace(test))) {
            assertThat(store.insertModel(new StoredModel("MyModel", "arn:1", "{}", T0)))
                    .isTrue();
            assertThat(store.insertModel(new StoredModel("mymodel", "arn:2", "{}", T0)))
                    .isTrue();
            assertThat(store.insertModel(new StoredModel("MyModel", "arn:3", "{}", T0)))
                    .isFalse();

            assertThat(store.model("MyModel").orElseThrow().arn()).isEqualTo("arn:1");
            assertThat(store.model("mymodel").orElseThrow().arn()).isEqualTo("arn:2");
            assertThat(store.model("MYMODEL")).isEmpty();
            assertThat(store.models()).extracting(StoredModel::name).containsExactly("MyModel", "mymodel");

            assertThat(store.deleteModel("MyModel")).isTrue();
            assertThat(store.deleteModel("MyModel")).isFalse();
            assertThat(store.models()).extracting(StoredModel::name).containsExactly("mymodel");
            assertThat(store.deleteEndpoint("nothing")).isFalse();
            assertThatThrownBy(() -> store.updateEndpoint(
                            new StoredEndpoint("nothing", "arn", "c", "{}", "InService", null, T0, T0)))
                    .hasMessageContaining("no endpoint nothing");
        }
    }

    @Test
    void aSecondGatewaySeesTheFirstsWritesThroughTheWatch(TestInfo test) {
        String namespace = createNamespace(test);
        try (KubernetesStateStore first = KubernetesStateStore.open(client(), namespace);
                KubernetesClient otherClient = API_SERVER.newClient();
                KubernetesStateStore second = KubernetesStateStore.open(otherClient, namespace)) {
            first.insertEndpoint(new StoredEndpoint("shared", "arn:e", "c", "{}", "Creating", null, T0, T0));
            await(() -> second.endpoint("shared").isPresent());
            first.updateEndpoint(first.endpoint("shared").orElseThrow().withStatus("InService", null, T0));
            await(() -> second.endpoint("shared").orElseThrow().status().equals("InService"));

            // Written behind the store's back (kubectl, another tool): seen all the same.
            client().resources(ModelResource.class)
                    .inNamespace(namespace)
                    .resource(modelFromKubectl())
                    .create();
            await(() -> first.model("applied").isPresent()
                    && second.model("applied").isPresent());

            assertThat(second.deleteEndpoint("shared")).isTrue();
            await(() -> first.endpoint("shared").isEmpty());
        }
    }

    private static ModelResource modelFromKubectl() {
        ModelResource model = client().getKubernetesSerialization()
                .unmarshal(
                        """
                        apiVersion: sagemaker.tandem.dev/v1
                        kind: SageMakerModel
                        metadata: {name: applied}
                        spec:
                          name: applied
                          arn: arn:aws:sagemaker:us-east-1:000000000000:model/applied
                          createdAt: "2026-12-06T00:00:00Z"
                          definition: {ModelName: applied, Containers: [{Image: "builtin:identity"}]}
                        """,
                        ModelResource.class);
        return model;
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not seen within 10 s");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
