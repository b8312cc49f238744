package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.TandemFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointRequest;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointResponse;
import software.amazon.awssdk.services.sagemaker.model.DesiredWeightAndCapacity;
import software.amazon.awssdk.services.sagemaker.model.EndpointStatus;
import software.amazon.awssdk.services.sagemaker.model.EndpointSummary;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariantSummary;
import software.amazon.awssdk.services.sagemaker.model.SageMakerException;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointResponse;

/**
 * The control plane driven through the AWS SDK for Java v2's SageMakerClient, as deployment code
 * does: models, endpoint configurations, endpoints and their lifecycle, variants, updates,
 * durable state.
 */
class ControlPlaneIT {
    @TempDir
    Path workDir;

    private void createModel(SageMakerClient sm, String name, Map<String, String> environment) {
        sm.createModel(r -> r.modelName(name)
                .primaryContainer(ContainerDefinition.builder()
                        // API requests resolve relative paths against the server's folder.
                        .image("exec:" + workDir.resolve("test-container"))
                        .environment(environment)
                        .build()));
    }

    private static void createConfig(SageMakerClient sm, String name, ProductionVariant... variants) {
        sm.createEndpointConfig(r -> r.endpointConfigName(name).productionVariants(variants));
    }

    private static ProductionVariant variant(String name, String model, int instances, float weight) {
        return ProductionVariant.builder()
                .variantName(name)
                .modelName(model)
                .initialInstanceCount(instances)
                .instanceType("ml.m5.large")
                .initialVariantWeight(weight)
                .build();
    }

    private static DescribeEndpointRequest describe(String endpoint) {
        return DescribeEndpointRequest.builder().endpointName(endpoint).build();
    }

    @Test
    void withAllowedFoldersAProgramOutsideThemIsRefusedEvenThroughDotDotOrALink() throws Exception {
        Path allowed = workDir.resolve("allowed");
        TandemFixture.writeContainerScript(allowed.resolve("echo"));
        try (TandemFixture tandem =
                TandemFixture.start(workDir, c -> c.withRuntime(c.runtime().withExecFolders(List.of(allowed))))) {
            java.nio.file.Files.createSymbolicLink(allowed.resolve("escape"), workDir.resolve("test-container"));
            SageMakerClient sm = tandem.sageMaker();
            sm.createModel(
                    r -> r.modelName("inside").primaryContainer(c -> c.image("exec:" + allowed.resolve("echo"))));

            for (String image : List.of(
                    "exec:" + workDir.resolve("test-container"),
                    "exec:" + allowed + "/../test-container",
                    "exec:" + allowed.resolve("escape"))) {
                assertThatThrownBy(
                                () -> sm.createModel(r -> r.modelName("outside").primaryContainer(c -> c.image(image))))
                        .as(image)
                        .isInstanceOf(SageMakerException.class)
                        .hasMessageContaining("is outside the folders this server runs programs from (--allow-exec "
                                + allowed.toAbsolutePath() + ")");
            }
            assertThat(sm.listModels(r -> {}).models()).hasSize(1);
        }
    }

    @Test
    void wholeLifecycleThroughTheSdk() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "echo-model", Map.of("TAG", "v1"));
            createConfig(sm, "echo-config", variant("AllTraffic", "echo-model", 1, 1));
            String arn = sm.createEndpoint(r -> r.endpointName("echo").endpointConfigName("echo-config"))
                    .endpointArn();

            assertThat(arn).isEqualTo("arn:aws:sagemaker:us-east-1:000000000000:endpoint/echo");
            DescribeEndpointResponse described = TandemFixture.awaitInService(sm, "echo");
            assertThat(described.endpointStatus()).isEqualTo(EndpointStatus.IN_SERVICE);
            assertThat(described.endpointConfigName()).isEqualTo("echo-config");
            ProductionVariantSummary variant = described.productionVariants().get(0);
            assertThat(variant.variantName()).isEqualTo("AllTraffic");
            assertThat(variant.currentInstanceCount()).isEqualTo(1);
            assertThat(variant.desiredInstanceCount()).isEqualTo(1);
            assertThat(variant.currentWeight()).isEqualTo(1.0f);
            assertThat(variant.deployedImages().get(0).specifiedImage())
                    .startsWith("exec:")
                    .endsWith("test-container");
            assertThat(tandem.invokeText("echo", "hi")).startsWith("hi>v1(");

            assertThat(sm.describeModel(r -> r.modelName("echo-model")).modelArn())
                    .isEqualTo("arn:aws:sagemaker:us-east-1:000000000000:model/echo-model");
            assertThat(sm.describeEndpointConfig(r -> r.endpointConfigName("echo-config"))
                            .productionVariants())
                    .extracting(ProductionVariant::modelName)
                    .containsExactly("echo-model");
            assertThat(sm.listEndpoints(r -> r.nameContains("ech")).endpoints())
                    .extracting(EndpointSummary::endpointName, EndpointSummary::endpointStatus)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("echo", EndpointStatus.IN_SERVICE));
            assertThat(sm.listModels(r -> r.maxResults(10)).models()).hasSize(1);

            sm.deleteEndpoint(r -> r.endpointName("echo"));
            sm.waiter().waitUntilEndpointDeleted(describe("echo"), TandemFixture.FAST_WAITER);
            sm.deleteEndpointConfig(r -> r.endpointConfigName("echo-config"));
            sm.deleteModel(r -> r.modelName("echo-model"));

            assertThat(sm.listEndpoints(r -> {}).endpoints()).isEmpty();
            assertThat(sm.listModels(r -> {}).models()).isEmpty();
            assertThat(tandem.server().endpoints().find("echo")).isEmpty();
        }
    }

    @Test
    void invalidRequestsAreValidationErrorsInSageMakersWords() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "m", Map.of());

            assertThatThrownBy(() -> createModel(sm, "m", Map.of()))
                    .isInstanceOfSatisfying(SageMakerException.class, e -> {
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                        assertThat(e.awsErrorDetails().errorMessage())
                                .isEqualTo("Cannot create already existing model"
                                        + " \"arn:aws:sagemaker:us-east-1:000000000000:model/m\".");
                    });
            assertThatThrownBy(() -> createConfig(sm, "c", variant("AllTraffic", "nope", 1, 1)))
                    .hasMessageContaining(
                            "Could not find model \"arn:aws:sagemaker:us-east-1:000000000000:model/nope\".");
            assertThatThrownBy(() -> sm.describeEndpoint(r -> r.endpointName("missing")))
                    .hasMessageContaining(
                            "Could not find endpoint \"arn:aws:sagemaker:us-east-1:000000000000:endpoint/missing\".");
            assertThatThrownBy(() -> createModel(sm, "bad_name", Map.of()))
                    .hasMessageContaining("1 validation error detected: Value 'bad_name' at 'modelName' failed to"
                            + " satisfy constraint: Member must satisfy regular expression pattern");
            assertThatThrownBy(() -> createConfig(sm, "c", variant("AllTraffic", "m", 0, 1)))
                    .hasMessageContaining("at 'productionVariants.1.member.initialInstanceCount' failed to satisfy"
                            + " constraint: Member must have value greater than or equal to 1");
            assertThatThrownBy(() -> sm.createModel(
                            r -> r.modelName("ghost").primaryContainer(c -> c.image("exec:no/such/program"))))
                    .hasMessageContaining("exec:no/such/program does not exist");
            assertThatThrownBy(() -> sm.createEndpoint(r -> r.endpointName("e").endpointConfigName("none")))
                    .hasMessageContaining("Could not find endpoint configuration");
            assertThat(sm.listEndpoints(r -> {}).endpoints()).isEmpty();
        }
    }

    @Test
    void listsPageAndFilterAsTheModelSays() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            for (String name : List.of("alpha", "beta", "gamma", "alphabet")) {
                createModel(sm, name, Map.of());
            }

            var first = sm.listModels(r -> r.maxResults(3).sortBy("Name").sortOrder("Ascending"));
            var second = sm.listModels(
                    r -> r.maxResults(3).sortBy("Name").sortOrder("Ascending").nextToken(first.nextToken()));

            assertThat(first.models()).extracting(m -> m.modelName()).containsExactly("alpha", "alphabet", "beta");
            assertThat(second.models()).extracting(m -> m.modelName()).containsExactly("gamma");
            assertThat(second.nextToken()).isNull();
            assertThat(sm.listModelsPaginator(r -> r.maxResults(1)).models()).hasSize(4);
            assertThat(sm.listModels(r -> r.nameContains("ALPHA")).models()).hasSize(2);
            assertThatThrownBy(() -> sm.listModels(r -> r.nextToken("forged")))
                    .hasMessageContaining("Invalid pagination token");
        }
    }

    @Test
    void endpointsPastTheInstanceLimitAreRefused() {
        try (TandemFixture tandem = TandemFixture.start(workDir, c -> c.withMaxInstances(2))) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "m", Map.of());
            createConfig(sm, "three", variant("AllTraffic", "m", 3, 1));

            assertThatThrownBy(
                            () -> sm.createEndpoint(r -> r.endpointName("big").endpointConfigName("three")))
                    .isInstanceOfSatisfying(SageMakerException.class, e -> {
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ResourceLimitExceeded");
                        assertThat(e.awsErrorDetails().errorMessage())
                                .contains(
                                        "is 2 Instances, with current utilization of 0 Instances and a request delta of 3");
                    });
            assertThatThrownBy(() -> sm.describeEndpoint(r -> r.endpointName("big")))
                    .hasMessageContaining("Could not find endpoint");
        }
    }

    @Test
    void endpointWhoseContainerCannotStartFailsNamingTheVariantContainerAndCause() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "broken", Map.of("BEHAVIOUR", "exit"));
            createConfig(sm, "broken", variant("Main", "broken", 1, 1));
            sm.createEndpoint(r -> r.endpointName("broken").endpointConfigName("broken"));

            // boto3's and the SDK's endpoint_in_service waiter stop on Failed.
            assertThatThrownBy(
                            () -> sm.waiter().waitUntilEndpointInService(describe("broken"), TandemFixture.FAST_WAITER))
                    .hasMessageContaining("EndpointStatus=Failed");
            DescribeEndpointResponse described = sm.describeEndpoint(r -> r.endpointName("broken"));
            assertThat(described.endpointStatus()).isEqualTo(EndpointStatus.FAILED);
            assertThat(described.failureReason())
                    .contains("variant Main")
                    .contains("container primary")
                    .contains("exited with code 1");
            assertThat(tandem.server().endpoints().find("broken")).isEmpty();
        }
    }

    @Test
    void trafficIsSplitByWeightAndATargetVariantPinsIt() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "blue", Map.of("TAG", "blue"));
            createModel(sm, "green", Map.of("TAG", "green"));
            createConfig(sm, "split", variant("Blue", "blue", 1, 3), variant("Green", "green", 1, 1));
            sm.createEndpoint(r -> r.endpointName("split").endpointConfigName("split"));
            TandemFixture.awaitInService(sm, "split");

            Map<String, Integer> served = new HashMap<>();
            for (int i = 0; i < 400; i++) {
                InvokeEndpointResponse response =
                        tandem.sdk().invokeEndpoint(r -> r.endpointName("split").body(SdkBytes.fromUtf8String("x")));
                String variant = response.invokedProductionVariant();
                assertThat(response.body().asUtf8String()).contains(variant.equals("Blue") ? ">blue(" : ">green(");
                served.merge(variant, 1, Integer::sum);
            }
            assertThat(served.get("Blue")).isBetween(240, 360);
            assertThat(served.get("Green")).isBetween(40, 160);

            for (int i = 0; i < 20; i++) {
                assertThat(tandem.sdk()
                                .invokeEndpoint(r -> r.endpointName("split")
                                        .targetVariant("Green")
                                        .body(SdkBytes.fromUtf8String("x")))
                                .invokedProductionVariant())
                        .isEqualTo("Green");
            }

            sm.updateEndpointWeightsAndCapacities(r -> r.endpointName("split")
                    .desiredWeightsAndCapacities(DesiredWeightAndCapacity.builder()
                            .variantName("Blue")
                            .desiredWeight(0f)
                            .build()));
            for (int i = 0; i < 20; i++) {
                assertThat(tandem.sdk()
                                .invokeEndpoint(r -> r.endpointName("split").body(SdkBytes.fromUtf8String("x")))
                                .invokedProductionVariant())
                        .isEqualTo("Green");
            }
            assertThat(sm.describeEndpoint(r -> r.endpointName("split")).productionVariants())
                    .filteredOn(v -> v.variantName().equals("Blue"))
                    .singleElement()
                    .satisfies(v -> assertThat(v.currentWeight()).isZero());
        }
    }

    @Test
    void requestsAreBalancedAcrossInstances() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "env", Map.of("BEHAVIOUR", "env"));
            createConfig(sm, "pair", variant("AllTraffic", "env", 2, 1));
            sm.createEndpoint(r -> r.endpointName("pair").endpointConfigName("pair"));
            assertThat(TandemFixture.awaitInService(sm, "pair")
                            .productionVariants()
                            .get(0)
                            .currentInstanceCount())
                    .isEqualTo(2);

            Set<String> ports = new HashSet<>();
            try (ExecutorService clients = Executors.newFixedThreadPool(4)) {
                List<Future<String>> answers = new java.util.ArrayList<>();
                for (int i = 0; i < 80; i++) {
                    answers.add(clients.submit(() -> tandem.invokeText("pair", "x")));
                }
                for (Future<String> answer : answers) {
                    ports.add(answer.get().replaceAll(";.*", ""));
                }
            }
            assertThat(ports).hasSize(2);
        }
    }

    @Test
    void blueGreenUpdateUnderLoadLosesNoRequest() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "v1", Map.of("TAG", "v1"));
            createModel(sm, "v2", Map.of("TAG", "v2"));
            createConfig(sm, "c1", variant("AllTraffic", "v1", 1, 1));
            createConfig(sm, "c2", variant("AllTraffic", "v2", 2, 1));
            sm.createEndpoint(r -> r.endpointName("live").endpointConfigName("c1"));
            TandemFixture.awaitInService(sm, "live");

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger ok = new AtomicInteger();
            List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            Set<String> versions = java.util.concurrent.ConcurrentHashMap.newKeySet();
            try (ExecutorService clients = Executors.newFixedThreadPool(4)) {
                for (int c = 0; c < 4; c++) {
                    clients.submit(() -> {
                        while (running.get()) {
                            try {
                                String body = tandem.invokeText("live", "x");
                                versions.add(body.substring(2, 4));
                                ok.incrementAndGet();
                            } catch (RuntimeException e) {
                                failures.add(e);
                            }
                        }
                    });
                }
                TandemFixture.sleep(Duration.ofMillis(300));
                sm.updateEndpoint(r -> r.endpointName("live").endpointConfigName("c2"));
                assertThat(sm.describeEndpoint(r -> r.endpointName("live")).endpointStatus())
                        .isEqualTo(EndpointStatus.UPDATING);
                DescribeEndpointResponse updated = TandemFixture.awaitInService(sm, "live");
                TandemFixture.sleep(Duration.ofMillis(300));
                running.set(false);

                assertThat(updated.endpointConfigName()).isEqualTo("c2");
                assertThat(updated.productionVariants().get(0).currentInstanceCount())
                        .isEqualTo(2);
            }
            assertThat(failures).isEmpty();
            assertThat(ok.get()).isGreaterThan(20);
            assertThat(versions).containsExactlyInAnyOrder("v1", "v2");
            assertThat(tandem.invokeText("live", "x")).startsWith("x>v2(");
        }
    }

    @Test
    void instanceCountsChangeInPlaceWithoutLosingARequest() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "env", Map.of("BEHAVIOUR", "env"));
            createConfig(sm, "scalable", variant("AllTraffic", "env", 1, 1));
            sm.createEndpoint(r -> r.endpointName("scalable").endpointConfigName("scalable"));
            TandemFixture.awaitInService(sm, "scalable");

            AtomicBoolean running = new AtomicBoolean(true);
            List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            Set<String> ports = java.util.concurrent.ConcurrentHashMap.newKeySet();
            try (ExecutorService clients = Executors.newFixedThreadPool(3)) {
                for (int c = 0; c < 3; c++) {
                    clients.submit(() -> {
                        while (running.get()) {
                            try {
                                ports.add(tandem.invokeText("scalable", "x").replaceAll(";.*", ""));
                            } catch (RuntimeException e) {
                                failures.add(e);
                            }
                        }
                    });
                }
                sm.updateEndpointWeightsAndCapacities(r -> r.endpointName("scalable")
                        .desiredWeightsAndCapacities(DesiredWeightAndCapacity.builder()
                                .variantName("AllTraffic")
                                .desiredInstanceCount(3)
                                .build()));
                DescribeEndpointResponse up = TandemFixture.awaitInService(sm, "scalable");
                TandemFixture.sleep(Duration.ofMillis(500));
                sm.updateEndpointWeightsAndCapacities(r -> r.endpointName("scalable")
                        .desiredWeightsAndCapacities(DesiredWeightAndCapacity.builder()
                                .variantName("AllTraffic")
                                .desiredInstanceCount(1)
                                .build()));
                DescribeEndpointResponse down = TandemFixture.awaitInService(sm, "scalable");
                TandemFixture.sleep(Duration.ofMillis(300));
                running.set(false);

                assertThat(up.productionVariants().get(0).currentInstanceCount())
                        .isEqualTo(3);
                assertThat(up.productionVariants().get(0).desiredInstanceCount())
                        .isEqualTo(3);
                assertThat(down.productionVariants().get(0).currentInstanceCount())
                        .isEqualTo(1);
            }
            assertThat(failures).isEmpty();
            assertThat(ports).hasSizeGreaterThanOrEqualTo(3);
            assertThat(tandem.server()
                            .endpoints()
                            .find("scalable")
                            .orElseThrow()
                            .variants()
                            .get(0)
                            .instances())
                    .hasSize(1);
        }
    }

    @Test
    void failingUpdateRollsBackToTheRunningConfiguration() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "good", Map.of("TAG", "good"));
            createModel(sm, "bad", Map.of("BEHAVIOUR", "exit"));
            createConfig(sm, "good", variant("AllTraffic", "good", 1, 1));
            createConfig(sm, "bad", variant("AllTraffic", "bad", 1, 1));
            sm.createEndpoint(r -> r.endpointName("steady").endpointConfigName("good"));
            TandemFixture.awaitInService(sm, "steady");

            sm.updateEndpoint(r -> r.endpointName("steady").endpointConfigName("bad"));
            DescribeEndpointResponse after = TandemFixture.awaitInService(sm, "steady");

            assertThat(after.endpointConfigName()).isEqualTo("good");
            assertThat(after.failureReason())
                    .startsWith("Update failed: variant AllTraffic")
                    .contains("exited with code 1");
            assertThat(tandem.invokeText("steady", "x")).startsWith("x>good(");
        }
    }

    @Test
    void deleteLetsRequestsInFlightFinish() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "slow", Map.of("TAG", "slow", "SLEEP_MS", "1500"));
            createConfig(sm, "slow", variant("AllTraffic", "slow", 1, 1));
            sm.createEndpoint(r -> r.endpointName("slow").endpointConfigName("slow"));
            TandemFixture.awaitInService(sm, "slow");

            try (ExecutorService clients = Executors.newFixedThreadPool(4)) {
                List<Future<String>> inFlight = new java.util.ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    inFlight.add(clients.submit(() -> tandem.invokeText("slow", "x")));
                }
                TandemFixture.sleep(Duration.ofMillis(500));
                sm.deleteEndpoint(r -> r.endpointName("slow"));

                assertThat(sm.describeEndpoint(r -> r.endpointName("slow")).endpointStatus())
                        .isEqualTo(EndpointStatus.DELETING);
                assertThatThrownBy(() -> tandem.invokeText("slow", "late"))
                        .hasMessageContaining("Endpoint slow of account");
                for (Future<String> request : inFlight) {
                    assertThat(request.get()).startsWith("x>slow(");
                }
            }
            sm.waiter().waitUntilEndpointDeleted(describe("slow"), TandemFixture.FAST_WAITER);
        }
    }

    @Test
    void restartedServerBringsEveryEndpointBack() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "durable", Map.of("TAG", "durable"));
            createConfig(sm, "durable", variant("A", "durable", 2, 2), variant("B", "durable", 1, 1));
            sm.createEndpoint(r -> r.endpointName("durable").endpointConfigName("durable"));
            TandemFixture.awaitInService(sm, "durable");
        }
        try (TandemFixture restarted = TandemFixture.start(workDir)) {
            DescribeEndpointResponse back = TandemFixture.awaitInService(restarted.sageMaker(), "durable");

            assertThat(back.productionVariants())
                    .extracting(
                            ProductionVariantSummary::variantName,
                            ProductionVariantSummary::currentInstanceCount,
                            ProductionVariantSummary::currentWeight)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("A", 2, 2.0f),
                            org.assertj.core.groups.Tuple.tuple("B", 1, 1.0f));
            assertThat(restarted.invokeText("durable", "again")).startsWith("again>durable(");
        }
    }
}
