package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.TandemFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointResponse;
import software.amazon.awssdk.services.sagemaker.model.DesiredWeightAndCapacity;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariantServerlessConfig;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariantServerlessUpdateConfig;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariantSummary;
import software.amazon.awssdk.services.sagemaker.model.SageMakerException;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointResponse;

/**
 * Serverless variants through the AWS SDK: no instance while idle, a cold start on the first
 * request (which waits for it and records its setup time), MaxConcurrency refusing the excess at
 * once, provisioned concurrency kept warm, in-place updates, the one-way conversion, pipelines.
 */
class ServerlessIT {
    /** Short, so that a test sees instances stop; the server's default is minutes. */
    private static final Duration IDLE = Duration.ofMillis(600);

    @TempDir
    Path workDir;

    private TandemFixture start() {
        return TandemFixture.start(workDir, config -> config.withServerlessIdle(IDLE));
    }

    private void createModel(SageMakerClient sm, String name, Map<String, String> environment) {
        sm.createModel(r -> r.modelName(name)
                .primaryContainer(ContainerDefinition.builder()
                        .image("exec:" + workDir.resolve("test-container"))
                        .environment(environment)
                        .build()));
    }

    private static ProductionVariant serverless(String model, int memory, int max, Integer provisioned) {
        return ProductionVariant.builder()
                .variantName("AllTraffic")
                .modelName(model)
                .serverlessConfig(ProductionVariantServerlessConfig.builder()
                        .memorySizeInMB(memory)
                        .maxConcurrency(max)
                        .provisionedConcurrency(provisioned)
                        .build())
                .build();
    }

    private static DescribeEndpointResponse create(SageMakerClient sm, String endpoint, ProductionVariant variant) {
        sm.createEndpointConfig(r -> r.endpointConfigName(endpoint).productionVariants(variant));
        sm.createEndpoint(r -> r.endpointName(endpoint).endpointConfigName(endpoint));
        return TandemFixture.awaitInService(sm, endpoint);
    }

    private static ProductionVariantSummary variant(SageMakerClient sm, String endpoint) {
        return sm.describeEndpoint(r -> r.endpointName(endpoint))
                .productionVariants()
                .get(0);
    }

    /** Polls DescribeEndpoint until its variant matches; the instances stop on the server's own time. */
    private static ProductionVariantSummary awaitVariant(
            SageMakerClient sm, String endpoint, Predicate<ProductionVariantSummary> condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            ProductionVariantSummary summary = variant(sm, endpoint);
            if (condition.test(summary)) {
                return summary;
            }
            assertThat(System.nanoTime())
                    .as("%s within 30 s: %s", what, summary)
                    .isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    @Test
    void noInstanceWhileIdleAndTheFirstRequestWaitsForAColdStartWhoseSetupTimeIsRecorded() {
        try (TandemFixture tandem = start()) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "echo", Map.of("TAG", "s", "STARTUP_SLEEP_MS", "300"));
            // The Python SDK's shape: no InstanceType, no InitialInstanceCount.
            DescribeEndpointResponse created = create(sm, "echo", serverless("echo", 2048, 5, null));

            ProductionVariantSummary idle = created.productionVariants().get(0);
            assertThat(idle.currentInstanceCount()).isZero();
            assertThat(idle.desiredInstanceCount()).isNull();
            assertThat(idle.currentServerlessConfig().memorySizeInMB()).isEqualTo(2048);
            assertThat(idle.currentServerlessConfig().maxConcurrency()).isEqualTo(5);
            assertThat(idle.desiredServerlessConfig()).isEqualTo(idle.currentServerlessConfig());

            // No error while the instance starts: the request waits for it (300 ms of container start).
            long start = System.nanoTime();
            assertThat(tandem.invokeText("echo", "cold")).startsWith("cold>s(");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(variant(sm, "echo").currentInstanceCount()).isEqualTo(1);
            String metrics = scrape(tandem);
            assertThat(counter(metrics, "tandem_serverless_cold_starts_total", "echo"))
                    .isEqualTo(1);
            assertThat(counter(metrics, "sagemaker_model_setup_time_seconds_count", "echo"))
                    .isEqualTo(1);
            assertThat(counter(metrics, "sagemaker_model_setup_time_seconds_sum", "echo"))
                    .as("the setup time covers the container's start")
                    .isGreaterThanOrEqualTo(0.3);

            // Warm: no new start.
            assertThat(tandem.invokeText("echo", "warm")).startsWith("warm>s(");
            assertThat(counter(scrape(tandem), "tandem_serverless_cold_starts_total", "echo"))
                    .isEqualTo(1);

            // Idle past the idle time: back to zero, and the next request starts one again.
            awaitVariant(sm, "echo", v -> v.currentInstanceCount() == 0, "scaled to zero");
            assertThat(tandem.invokeText("echo", "again")).startsWith("again>s(");
            assertThat(counter(scrape(tandem), "tandem_serverless_cold_starts_total", "echo"))
                    .isEqualTo(2);
        }
    }

    @Test
    void pastMaxConcurrencyTheExcessIsRefusedAtOnceWithAMessageNamingTheLimit() throws Exception {
        try (TandemFixture tandem = start();
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "slow", Map.of("SLEEP_MS", "1500"));
            create(sm, "slow", serverless("slow", 1024, 2, null));

            List<Future<Outcome>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(clients.submit(() -> call(tandem, "slow")));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> call : calls) {
                outcomes.add(call.get());
            }

            assertThat(outcomes.stream().filter(o -> o.status() == 200)).hasSize(2);
            List<Outcome> refused =
                    outcomes.stream().filter(o -> o.status() != 200).toList();
            assertThat(refused).hasSize(4).allSatisfy(o -> {
                assertThat(o.status()).isEqualTo(429);
                assertThat(o.code()).isEqualTo("ThrottlingException");
                assertThat(o.message())
                        .contains("Endpoint slow is at capacity: serverless variant AllTraffic")
                        .contains("its MaxConcurrency of 2");
                assertThat(o.millis()).isLessThan(1_000);
            });
            assertThat(scrape(tandem)).contains("tandem_invocations_throttled_total{endpoint=\"slow\"} 4.0");
        }
    }

    @Test
    void provisionedConcurrencyStaysWarmThroughIdlenessAndServesWithoutAColdStart() {
        try (TandemFixture tandem = start()) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "warm", Map.of("TAG", "w"));
            DescribeEndpointResponse created = create(sm, "warm", serverless("warm", 1024, 4, 1));
            assertThat(created.productionVariants().get(0).currentInstanceCount())
                    .as("in service once the provisioned instance is healthy")
                    .isEqualTo(1);

            assertThat(tandem.invokeText("warm", "x")).startsWith("x>w(");
            // Several idle times later it still runs, and nothing was started on demand.
            TandemFixture.sleep(IDLE.multipliedBy(4));
            assertThat(variant(sm, "warm").currentInstanceCount()).isEqualTo(1);
            assertThat(tandem.invokeText("warm", "y")).startsWith("y>w(");
            assertThat(scrape(tandem)).doesNotContain("tandem_serverless_cold_starts_total{endpoint=\"warm\"");
        }
    }

    @Test
    void invalidConfigurationsAreRefusedWithTheRuleTheyBreak() {
        try (TandemFixture tandem = start()) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "m", Map.of());
            record Case(ProductionVariant variant, String message) {}
            List<Case> cases = List.of(
                    new Case(serverless("m", 1000, 2, null), "Member must have value greater than or equal to 1024"),
                    new Case(serverless("m", 7168, 2, null), "Member must have value less than or equal to 6144"),
                    new Case(serverless("m", 1536, 2, null), "valid values are in 1 GB increments"),
                    new Case(serverless("m", 1024, 201, null), "Member must have value less than or equal to 200"),
                    new Case(
                            serverless("m", 1024, 2, 3),
                            "ProvisionedConcurrency 3 is not valid: it should be less than or equal to MaxConcurrency"),
                    new Case(
                            serverless("m", 1024, 2, null).toBuilder()
                                    .instanceType("ml.m5.large")
                                    .build(),
                            "InstanceType cannot be given with ServerlessConfig"));
            int n = 0;
            for (Case c : cases) {
                String name = "bad-" + n++;
                assertThatThrownBy(() -> sm.createEndpointConfig(
                                r -> r.endpointConfigName(name).productionVariants(c.variant())))
                        .isInstanceOfSatisfying(SageMakerException.class, e -> {
                            assertThat(e.statusCode()).isEqualTo(400);
                            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                        })
                        .hasMessageContaining(c.message());
            }
            assertThatThrownBy(() -> sm.createEndpointConfig(r -> r.endpointConfigName("async")
                            .productionVariants(serverless("m", 1024, 2, null))
                            .asyncInferenceConfig(a -> a.outputConfig(o -> o.s3OutputPath("file:" + workDir)))))
                    .isInstanceOf(SageMakerException.class)
                    .hasMessageContaining("a serverless variant cannot serve an endpoint with AsyncInferenceConfig");
            assertThat(sm.listEndpointConfigs(r -> {}).endpointConfigs()).isEmpty();
        }
    }

    @Test
    void concurrencyChangesInPlaceAndOnlyServerlessBecomesInstanceBased() {
        try (TandemFixture tandem = start()) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "m", Map.of("TAG", "m"));
            create(sm, "s", serverless("m", 1024, 2, null));

            sm.updateEndpointWeightsAndCapacities(r -> r.endpointName("s")
                    .desiredWeightsAndCapacities(serverlessUpdate(ProductionVariantServerlessUpdateConfig.builder()
                            .maxConcurrency(3)
                            .provisionedConcurrency(1)
                            .build())));
            DescribeEndpointResponse updated = TandemFixture.awaitInService(sm, "s");
            ProductionVariantSummary summary = updated.productionVariants().get(0);
            assertThat(summary.currentServerlessConfig().maxConcurrency()).isEqualTo(3);
            assertThat(summary.currentServerlessConfig().provisionedConcurrency())
                    .isEqualTo(1);
            assertThat(summary.desiredServerlessConfig()).isEqualTo(summary.currentServerlessConfig());
            awaitVariant(sm, "s", v -> v.currentInstanceCount() == 1, "the provisioned instance started");
            assertThatThrownBy(() -> sm.updateEndpointWeightsAndCapacities(r -> r.endpointName("s")
                            .desiredWeightsAndCapacities(
                                    serverlessUpdate(ProductionVariantServerlessUpdateConfig.builder()
                                            .provisionedConcurrency(4)
                                            .build()))))
                    .isInstanceOf(SageMakerException.class)
                    .hasMessageContaining("should be less than or equal to MaxConcurrency (3)");

            // Instance-based to serverless: refused, as SageMaker refuses it.
            sm.createEndpointConfig(r -> r.endpointConfigName("fixed")
                    .productionVariants(ProductionVariant.builder()
                            .variantName("AllTraffic")
                            .modelName("m")
                            .initialInstanceCount(1)
                            .instanceType("ml.m5.large")
                            .build()));
            sm.createEndpoint(r -> r.endpointName("f").endpointConfigName("fixed"));
            TandemFixture.awaitInService(sm, "f");
            assertThatThrownBy(() -> sm.updateEndpoint(r -> r.endpointName("f").endpointConfigName("s")))
                    .isInstanceOf(SageMakerException.class)
                    .hasMessageContaining("from instance-based variants to serverless");

            // Serverless to instance-based: works.
            sm.updateEndpoint(r -> r.endpointName("s").endpointConfigName("fixed"));
            ProductionVariantSummary fixed =
                    TandemFixture.awaitInService(sm, "s").productionVariants().get(0);
            assertThat(fixed.desiredInstanceCount()).isEqualTo(1);
            assertThat(fixed.currentServerlessConfig()).isNull();
            assertThat(tandem.invokeText("s", "x")).startsWith("x>m(");
        }
    }

    @Test
    void aServerlessVariantMayBeAPipelineOfInProcessAndProgramContainers() {
        try (TandemFixture tandem = start()) {
            SageMakerClient sm = tandem.sageMaker();
            String program = "exec:" + workDir.resolve("test-container");
            sm.createModel(r -> r.modelName("three")
                    .containers(
                            ContainerDefinition.builder()
                                    .containerHostname("first")
                                    .image("builtin:identity")
                                    .build(),
                            ContainerDefinition.builder()
                                    .containerHostname("second")
                                    .image(program)
                                    .environment(Map.of("TAG", "second"))
                                    .build(),
                            ContainerDefinition.builder()
                                    .containerHostname("third")
                                    .image(program)
                                    .environment(Map.of("TAG", "third"))
                                    .build()));
            create(sm, "three", serverless("three", 1024, 2, null));

            InvokeEndpointResponse answer = tandem.sdk()
                    .invokeEndpoint(r ->
                            r.endpointName("three").contentType("text/plain").body(SdkBytes.fromUtf8String("in")));

            assertThat(answer.body().asUtf8String()).startsWith("in>second(").contains(">third(");
            assertThat(variant(sm, "three").currentInstanceCount()).isEqualTo(1);
        }
    }

    @Test
    void bodiesOverFourMegabytesAreRefusedBothWaysAsServerlessEndpointsRefuseThem() {
        try (TandemFixture tandem = start()) {
            SageMakerClient sm = tandem.sageMaker();
            createModel(sm, "m", Map.of());
            create(sm, "s", serverless("m", 1024, 2, null));

            HttpResponse<String> over =
                    tandem.invoke("s", "x".repeat(4 * 1024 * 1024 + 1), "Content-Type", "text/plain");

            assertThat(over.statusCode()).isEqualTo(413);
            assertThat(over.body()).contains("4194304 bytes");
            assertThat(tandem.invoke("s", "x".repeat(4 * 1024 * 1024 - 1024), "Content-Type", "text/plain")
                            .statusCode())
                    .isEqualTo(200);
            // 4 MB in is allowed; the echo's answer, a few bytes longer, is not.
            HttpResponse<String> answerOver =
                    tandem.invoke("s", "x".repeat(4 * 1024 * 1024), "Content-Type", "text/plain");
            assertThat(answerOver.statusCode()).isEqualTo(424);
            assertThat(answerOver.body()).contains("over the maximum of 4194304 bytes a serverless endpoint returns");
        }
    }

    private static DesiredWeightAndCapacity serverlessUpdate(ProductionVariantServerlessUpdateConfig update) {
        return DesiredWeightAndCapacity.builder()
                .variantName("AllTraffic")
                .serverlessUpdateConfig(update)
                .build();
    }

    private record Outcome(int status, String code, String message, long millis) {}

    private static Outcome call(TandemFixture tandem, String endpoint) {
        long start = System.nanoTime();
        try {
            tandem.sdk()
                    .invokeEndpoint(r ->
                            r.endpointName(endpoint).contentType("text/plain").body(SdkBytes.fromUtf8String("x")));
            return new Outcome(200, "", "", elapsed(start));
        } catch (AwsServiceException e) {
            return new Outcome(
                    e.statusCode(), e.awsErrorDetails().errorCode(), String.valueOf(e.getMessage()), elapsed(start));
        }
    }

    private static long elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }

    private static String scrape(TandemFixture tandem) {
        try {
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(tandem.baseUrl() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The value of a metric of endpoint {@code endpoint}, or 0 when it has none yet. */
    private static double counter(String metrics, String name, String endpoint) {
        Matcher matcher = Pattern.compile(
                        "(?m)^" + Pattern.quote(name) + "\\{endpoint=\"" + Pattern.quote(endpoint) + "\"[^}]*} (\\S+)$")
                .matcher(metrics);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }
}
