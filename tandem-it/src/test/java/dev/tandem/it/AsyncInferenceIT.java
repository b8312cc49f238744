package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.NotificationSink;
import dev.tandem.it.support.S3ProxyServer;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.it.support.TestClock;
import dev.tandem.runtime.storage.S3Settings;
import dev.tandem.server.async.AsyncOptions;
import dev.tandem.server.tracing.Tracing;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.AsyncInferenceConfig;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointResponse;
import software.amazon.awssdk.services.sagemaker.model.DesiredWeightAndCapacity;
import software.amazon.awssdk.services.sagemaker.model.EndpointStatus;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointAsyncResponse;
import software.amazon.awssdk.services.sagemakerruntime.model.ValidationErrorException;

/**
 * Asynchronous inference as users drive it: endpoints created through SageMaker's control plane,
 * requests through the AWS SDK's {@code invokeEndpointAsync} (and raw HTTP where the SDK lacks a
 * member), inputs and results in an S3 API on loopback (S3Proxy), notifications to an HTTP
 * subscriber on loopback, and time moved forward by a test clock rather than waited for.
 */
class AsyncInferenceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUCCESS_TOPIC = "arn:aws:sns:us-east-1:000000000000:async-success";
    private static final String ERROR_TOPIC = "arn:aws:sns:us-east-1:000000000000:async-errors";
    private static final Duration SCALE_IN_AFTER = Duration.ofMinutes(5);
    private static final AtomicInteger NAMES = new AtomicInteger();

    @TempDir
    static Path workDir;

    static S3ProxyServer s3;
    static S3Client client;
    static NotificationSink subscriber;
    static TestClock clock = new TestClock();
    static TandemFixture tandem;
    static SageMakerClient sm;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        s3 = S3ProxyServer.start(Files.createDirectories(workDir.resolve("s3")));
        client = s3.client();
        client.createBucket(b -> b.bucket("inputs"));
        client.createBucket(b -> b.bucket("results"));
        subscriber = NotificationSink.start();
        tandem = TandemFixture.start(
                workDir,
                config -> config.withS3(
                                S3Settings.at(s3.endpoint(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))
                        .withAsync(AsyncOptions.defaults()
                                .withScaleInAfter(SCALE_IN_AFTER)
                                .withSubscribers(Map.of(
                                        SUCCESS_TOPIC, List.of(subscriber.url()),
                                        ERROR_TOPIC, List.of(subscriber.url())))),
                Tracing.off(),
                clock);
        sm = tandem.sageMaker();
    }

    @AfterAll
    static void stop() {
        tandem.close();
        subscriber.close();
        client.close();
        s3.close();
    }

    // --- Through S3, with notifications ---------------------------------------------------------

    @Test
    void aPipelineAnswersIntoTheOutputPathWithItsContentTypeAndASuccessNotification() {
        String endpoint = asyncEndpoint(
                List.of(
                        container("pre", Map.of("TAG", "pre")),
                        container("post", Map.of("TAG", "post", "RESPONSE_CONTENT_TYPE", "application/x-post"))),
                1,
                null);
        subscriber.await(m -> m.path("eventName").asText().equals("TestNotification"), Duration.ofSeconds(10));
        client.putObject(
                r -> r.bucket("inputs").key("rows.csv"),
                software.amazon.awssdk.core.sync.RequestBody.fromString("1,2,3"));

        InvokeEndpointAsyncResponse accepted = tandem.sdk().invokeEndpointAsync(r -> r.endpointName(endpoint)
                .inputLocation("s3://inputs/rows.csv")
                .contentType("text/csv")
                .accept("application/x-post")
                .customAttributes("trace=1")
                .inferenceId("inference-1"));

        assertThat(accepted.inferenceId()).isEqualTo("inference-1");
        assertThat(accepted.outputLocation())
                .startsWith("s3://results/" + endpoint + "/out/")
                .endsWith(".out");
        assertThat(accepted.outputLocation()).doesNotContain("inference-1");
        assertThat(accepted.failureLocation())
                .startsWith("s3://results/" + endpoint + "/failures/")
                .endsWith("-error.out");
        ResponseBytes<GetObjectResponse> result = awaitObject(accepted.outputLocation());
        assertThat(result.asUtf8String())
                .isEqualTo("1,2,3>pre(ct=text/csv,accept=null,ca=trace=1)>post(ct=text/csv,"
                        + "accept=application/x-post,ca=trace=1)");
        assertThat(result.response().contentType()).isEqualTo("application/x-post");
        assertThat(objectExists(accepted.failureLocation())).isFalse();

        JsonNode message = subscriber
                .await(m -> m.path("inferenceId").asText().equals("inference-1"), Duration.ofSeconds(10))
                .message();
        assertThat(message.path("invocationStatus").asText()).isEqualTo("Completed");
        assertThat(message.path("eventName").asText()).isEqualTo("InferenceResult");
        assertThat(message.path("eventSource").asText()).isEqualTo("aws:sagemaker");
        assertThat(message.path("eventVersion").asText()).isEqualTo("1.0");
        assertThat(message.path("awsRegion").asText()).isEqualTo("us-east-1");
        assertThat(message.path("requestParameters").path("endpointName").asText())
                .isEqualTo(endpoint);
        assertThat(message.path("requestParameters").path("inputLocation").asText())
                .isEqualTo("s3://inputs/rows.csv");
        assertThat(message.path("requestParameters").path("contentType").asText())
                .isEqualTo("text/csv");
        assertThat(message.path("responseParameters").path("outputLocation").asText())
                .isEqualTo(accepted.outputLocation());
        assertThat(message.path("responseParameters").path("contentType").asText())
                .isEqualTo("application/x-post");
        assertThat(message.path("eventTime").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(message.path("receivedTime").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");

        JsonNode status = status(endpoint, "inference-1");
        assertThat(status.path("Status").asText()).isEqualTo("Completed");
        assertThat(status.path("Attempts").asInt()).isEqualTo(1);
    }

    @Test
    void aFailingContainerLeavesOneFailureObjectAndAnErrorNotification() {
        String endpoint = asyncEndpoint(
                List.of(container(
                        "model", Map.of("BEHAVIOUR", "fail", "FAIL_STATUS", "500", "FAIL_MESSAGE", "bad row"))),
                1,
                null);

        InvokeEndpointAsyncResponse accepted = tandem.sdk().invokeEndpointAsync(r -> r.endpointName(endpoint)
                .inputLocation(upload("bad.csv", "x"))
                .inferenceId("failing-1"));

        assertThat(awaitObject(accepted.failureLocation()).asUtf8String()).isEqualTo("bad row");
        assertThat(objectExists(accepted.outputLocation())).isFalse();
        JsonNode message = subscriber
                .await(m -> m.path("inferenceId").asText().equals("failing-1"), Duration.ofSeconds(10))
                .message();
        assertThat(message.path("invocationStatus").asText()).isEqualTo("Failed");
        assertThat(message.path("failureReason").asText())
                .startsWith("ClientError: Received server error (500) from primary with message \"bad row\"");
        assertThat(message.path("failureLocation").asText()).isEqualTo(accepted.failureLocation());
        assertThat(status(endpoint, "failing-1").path("Status").asText()).isEqualTo("Failed");
    }

    @Test
    void aNotificationRefusedAtFirstIsRetriedAndTheResultNeverWaitsForIt() {
        String endpoint = asyncEndpoint(List.of(container("model", Map.of("TAG", "m"))), 1, null);
        subscriber.refuseNext(2);

        InvokeEndpointAsyncResponse accepted = tandem.sdk().invokeEndpointAsync(r -> r.endpointName(endpoint)
                .inputLocation(upload("retry.txt", "hello"))
                .inferenceId("retried-notification"));

        assertThat(awaitObject(accepted.outputLocation()).asUtf8String()).startsWith("hello>m(");
        NotificationSink.Delivery delivery = subscriber.await(
                m -> m.path("inferenceId").asText().equals("retried-notification"), Duration.ofSeconds(20));
        assertThat(delivery.headers())
                .containsEntry("x-amz-sns-message-type", "Notification")
                .containsEntry("x-amz-sns-topic-arn", SUCCESS_TOPIC);
        assertThat(delivery.envelope().path("Type").asText()).isEqualTo("Notification");
        assertThat(delivery.envelope().path("TopicArn").asText()).isEqualTo(SUCCESS_TOPIC);
    }

    // --- Inline bodies and bad requests ---------------------------------------------------------

    @Test
    void anInlineBodyRunsAndEveryBadRequestIsRefusedNamingTheProblem() throws Exception {
        String endpoint = asyncEndpoint(List.of(container("model", Map.of("TAG", "m"))), 1, null);

        HttpResponse<String> accepted = post(
                endpoint,
                "inline body",
                "X-Amzn-SageMaker-Content-Type",
                "text/plain",
                "X-Amzn-SageMaker-S3OutputPathExtension",
                "run-1/part",
                "X-Amzn-SageMaker-Filename",
                "answer.txt");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String output =
                accepted.headers().firstValue("X-Amzn-SageMaker-OutputLocation").orElseThrow();
        assertThat(output).isEqualTo("s3://results/" + endpoint + "/out/run-1/part/answer.txt");
        assertThat(accepted.headers()
                        .firstValue("X-Amzn-SageMaker-FailureLocation")
                        .orElseThrow())
                .isEqualTo("s3://results/" + endpoint + "/failures/run-1/part/answer-error.out");
        assertThat(JSON.readTree(accepted.body()).path("InferenceId").asText()).isNotBlank();
        assertThat(awaitObject(output).asUtf8String()).isEqualTo("inline body>m(ct=text/plain,accept=null,ca=null)");

        assertRefused(
                post(endpoint, "body", "X-Amzn-SageMaker-InputLocation", "s3://inputs/x"),
                "Body and InputLocation are mutually exclusive");
        assertRefused(post(endpoint, ""), "neither a body nor an X-Amzn-SageMaker-InputLocation");
        assertRefused(post(endpoint, "x".repeat(128_001)), "less than or equal to 128000");
        assertRefused(post(endpoint, "x", "X-Amzn-SageMaker-RequestTTLSeconds", "59"), "requestTTLSeconds");
        assertRefused(
                post(endpoint, "x", "X-Amzn-SageMaker-InvocationTimeoutSeconds", "3601"), "invocationTimeoutSeconds");
        assertRefused(
                post(endpoint, "x", "X-Amzn-SageMaker-S3OutputPathExtension", "../../escape"), "s3OutputPathExtension");
        assertRefused(post(endpoint, "x", "X-Amzn-SageMaker-Filename", "a.b.c"), "filename");
        assertRefused(post("no-such-endpoint", "x"), "Endpoint no-such-endpoint of account 000000000000 not found.");
        assertThat(post(endpoint, "x".repeat(128_000)).statusCode()).isEqualTo(202);

        assertThatThrownBy(() -> tandem.sdk()
                        .invokeEndpoint(r -> r.endpointName(endpoint).body(SdkBytes.fromUtf8String("x"))))
                .isInstanceOfSatisfying(ValidationErrorException.class, e -> assertThat(e.getMessage())
                        .contains("is an asynchronous endpoint")
                        .contains("InvokeEndpointAsync"));
    }

    @Test
    void aRealTimeEndpointRefusesAsyncInvocationsAndAnInputThatIsMissingFails() {
        String realTime = "realtime-" + NAMES.incrementAndGet();
        createModel(realTime, List.of(container("model", Map.of())));
        sm.createEndpointConfig(r -> r.endpointConfigName(realTime).productionVariants(variant(realTime, 1)));
        sm.createEndpoint(r -> r.endpointName(realTime).endpointConfigName(realTime));
        awaitStatus(realTime, EndpointStatus.IN_SERVICE);
        assertThatThrownBy(() -> tandem.sdk()
                        .invokeEndpointAsync(r -> r.endpointName(realTime).inputLocation("s3://inputs/x")))
                .isInstanceOfSatisfying(ValidationErrorException.class, e -> assertThat(e.getMessage())
                        .contains("not an asynchronous endpoint"));

        String endpoint = asyncEndpoint(List.of(container("model", Map.of())), 1, null);
        InvokeEndpointAsyncResponse accepted = tandem.sdk().invokeEndpointAsync(r -> r.endpointName(endpoint)
                .inputLocation("s3://inputs/never-uploaded.csv")
                .inferenceId("missing-input"));
        assertThat(awaitObject(accepted.failureLocation()).asUtf8String())
                .contains("Could not read the input s3://inputs/never-uploaded.csv");
        assertThat(metrics()).contains("sagemaker_request_download_failures_total{endpoint=\"" + endpoint + "\"} 1.0");
    }

    @Test
    void theControlPlaneEchoesTheConfigurationAndRefusesOneWithoutAnOutputPath() {
        String endpoint = asyncEndpoint(List.of(container("model", Map.of())), 1, 7);

        var config =
                sm.describeEndpointConfig(r -> r.endpointConfigName(endpoint)).asyncInferenceConfig();
        assertThat(config.clientConfig().maxConcurrentInvocationsPerInstance()).isEqualTo(7);
        assertThat(config.outputConfig().s3OutputPath()).isEqualTo("s3://results/" + endpoint + "/out");
        assertThat(config.outputConfig().s3FailurePath()).isEqualTo("s3://results/" + endpoint + "/failures");
        assertThat(config.outputConfig().notificationConfig().successTopic()).isEqualTo(SUCCESS_TOPIC);
        DescribeEndpointResponse described = sm.describeEndpoint(r -> r.endpointName(endpoint));
        assertThat(described.asyncInferenceConfig()).isEqualTo(config);

        createModel("no-output", List.of(container("model", Map.of())));
        assertThatThrownBy(() -> sm.createEndpointConfig(r -> r.endpointConfigName("no-output")
                        .productionVariants(variant("no-output", 1))
                        .asyncInferenceConfig(a -> a.outputConfig(o -> o.s3FailurePath("s3://results/f")))))
                .hasMessageContaining("S3OutputPath is required");
    }

    // --- Time: TTL, invocation timeout, scaling -------------------------------------------------

    @Test
    void aSlowContainerPastTheInvocationTimeoutFails() {
        String endpoint = asyncEndpoint(List.of(container("slow", Map.of("SLEEP_MS", "5000"))), 1, null);

        InvokeEndpointAsyncResponse accepted = tandem.sdk().invokeEndpointAsync(r -> r.endpointName(endpoint)
                .inputLocation(upload("slow.txt", "x"))
                .invocationTimeoutSeconds(1)
                .inferenceId("too-slow"));

        assertThat(awaitObject(accepted.failureLocation()).asUtf8String())
                .contains("did not answer within InvocationTimeoutSeconds (1 s)");
        assertThat(objectExists(accepted.outputLocation())).isFalse();
    }

    @Test
    void scalesFromZeroWhenRequestsWaitAndBackToZeroWhenIdle() {
        String endpoint = asyncEndpoint(List.of(container("model", Map.of("TAG", "m"))), 1, null);
        sm.updateEndpointWeightsAndCapacities(r -> r.endpointName(endpoint).desiredWeightsAndCapacities(capacity(0)));
        awaitInstances(endpoint, 0);
        assertThat(tandem.server().endpoints().find(endpoint).orElseThrow().healthyInstances())
                .isZero();

        InvokeEndpointAsyncResponse accepted = tandem.sdk().invokeEndpointAsync(r -> r.endpointName(endpoint)
                .inputLocation(upload("wake.txt", "wake up"))
                .inferenceId("from-zero"));

        assertThat(awaitObject(accepted.outputLocation()).asUtf8String()).startsWith("wake up>m(");
        DescribeEndpointResponse scaled = awaitInstances(endpoint, 1);
        assertThat(scaled.productionVariants().get(0).desiredInstanceCount()).isEqualTo(1);

        clock.advance(SCALE_IN_AFTER.plusSeconds(1));
        awaitInstances(endpoint, 0);
    }

    @Test
    void aRequestWaitingPastItsTtlWithoutCapacityExpires() {
        // An instance that takes a minute to start: the request waits with no capacity.
        String endpoint = asyncEndpoint(List.of(container("model", Map.of())), 1, null);
        sm.updateEndpointWeightsAndCapacities(r -> r.endpointName(endpoint).desiredWeightsAndCapacities(capacity(0)));
        awaitInstances(endpoint, 0);
        String slowModel = endpoint + "-slow";
        createModel(slowModel, List.of(container("model", Map.of("STARTUP_SLEEP_MS", "60000"))));
        // Swap in a model whose start is slow, with no instance: UpdateEndpoint blue/green to it.
        sm.createEndpointConfig(r -> r.endpointConfigName(slowModel)
                .productionVariants(variant(slowModel, 1))
                .asyncInferenceConfig(asyncConfig(endpoint, null)));
        sm.updateEndpoint(r -> r.endpointName(endpoint).endpointConfigName(slowModel));
        InvokeEndpointAsyncResponse accepted = tandem.sdk().invokeEndpointAsync(r -> r.endpointName(endpoint)
                .inputLocation(upload("late.txt", "x"))
                .requestTTLSeconds(60)
                .inferenceId("expired-1"));
        assertThat(metrics()).contains("sagemaker_has_backlog_without_capacity{endpoint=\"" + endpoint + "\"} 1.0");

        clock.advance(Duration.ofSeconds(61));

        assertThat(awaitObject(accepted.failureLocation()).asUtf8String())
                .contains("Request expired")
                .contains("RequestTTLSeconds (60 s)");
        assertThat(objectExists(accepted.outputLocation())).isFalse();
        assertThat(metrics()).contains("sagemaker_expired_requests_total{endpoint=\"" + endpoint + "\"} 1.0");
    }

    @Test
    void aContainerThatCrashesMidRequestHasTheRequestRetried() {
        String endpoint = asyncEndpoint(
                List.of(container(
                        "model",
                        Map.of(
                                "TAG",
                                "m",
                                "BEHAVIOUR",
                                "crash-once",
                                "CRASH_MARKER",
                                workDir.resolve("crash-" + NAMES.incrementAndGet())
                                        .toString()))),
                1,
                null);

        InvokeEndpointAsyncResponse accepted = tandem.sdk().invokeEndpointAsync(r -> r.endpointName(endpoint)
                .inputLocation(upload("crash.txt", "survive"))
                .inferenceId("crashed-once"));

        assertThat(awaitObject(accepted.outputLocation()).asUtf8String()).startsWith("survive>m(");
        // Retried, and within the attempts allowed (3): a retry can also meet a connection to the
        // crashed process that is not yet known to be dead, and be tried once more.
        assertThat(status(endpoint, "crashed-once").path("Attempts").asInt()).isBetween(2, 3);
    }

    @Test
    void deletingAnEndpointEndsEveryRequestItHadAccepted() {
        String endpoint = asyncEndpoint(List.of(container("model", Map.of("TAG", "m", "SLEEP_MS", "1500"))), 1, 1);
        List<InvokeEndpointAsyncResponse> accepted = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String input = upload("deleted-" + i + ".txt", "request " + i);
            accepted.add(tandem.sdk()
                    .invokeEndpointAsync(r -> r.endpointName(endpoint).inputLocation(input)));
        }
        TandemFixture.sleep(Duration.ofMillis(500)); // the first is running, the others wait

        sm.deleteEndpoint(r -> r.endpointName(endpoint));

        assertThat(awaitObject(accepted.get(0).outputLocation()).asUtf8String()).startsWith("request 0>m(");
        for (InvokeEndpointAsyncResponse queued : accepted.subList(1, 3)) {
            assertThat(awaitObject(queued.failureLocation()).asUtf8String())
                    .isEqualTo("ClientError: Endpoint " + endpoint + " was deleted.");
            assertThat(objectExists(queued.outputLocation())).isFalse();
        }
    }

    // --- Helpers --------------------------------------------------------------------------------

    private static ContainerDefinition container(String hostname, Map<String, String> environment) {
        return ContainerDefinition.builder()
                .containerHostname(hostname)
                .image("exec:" + workDir.resolve("test-container"))
                .environment(environment)
                .build();
    }

    private static void createModel(String name, List<ContainerDefinition> containers) {
        if (containers.size() == 1) {
            ContainerDefinition only = containers.get(0);
            sm.createModel(r -> r.modelName(name)
                    .primaryContainer(only.toBuilder().containerHostname(null).build()));
        } else {
            sm.createModel(r -> r.modelName(name).containers(containers));
        }
    }

    private static AsyncInferenceConfig asyncConfig(String endpoint, Integer concurrency) {
        return AsyncInferenceConfig.builder()
                .clientConfig(c -> c.maxConcurrentInvocationsPerInstance(concurrency))
                .outputConfig(o -> o.s3OutputPath("s3://results/" + endpoint + "/out")
                        .s3FailurePath("s3://results/" + endpoint + "/failures")
                        .notificationConfig(n -> n.successTopic(SUCCESS_TOPIC).errorTopic(ERROR_TOPIC)))
                .build();
    }

    /** Creates an asynchronous endpoint on a new model of {@code containers} and waits until InService. */
    private static String asyncEndpoint(List<ContainerDefinition> containers, int instances, Integer concurrency) {
        String name = "async-" + NAMES.incrementAndGet();
        createModel(name, containers);
        sm.createEndpointConfig(r -> r.endpointConfigName(name)
                .productionVariants(variant(name, instances))
                .asyncInferenceConfig(asyncConfig(name, concurrency)));
        sm.createEndpoint(r -> r.endpointName(name).endpointConfigName(name));
        awaitStatus(name, EndpointStatus.IN_SERVICE);
        return name;
    }

    private static DescribeEndpointResponse awaitStatus(String endpoint, EndpointStatus status) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            DescribeEndpointResponse described = sm.describeEndpoint(r -> r.endpointName(endpoint));
            if (described.endpointStatus() == status) {
                return described;
            }
            assertThat(described.endpointStatus()).as(described.failureReason()).isNotEqualTo(EndpointStatus.FAILED);
            assertThat(System.nanoTime()).as("%s reaches %s", endpoint, status).isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    private static DescribeEndpointResponse awaitInstances(String endpoint, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            DescribeEndpointResponse described = sm.describeEndpoint(r -> r.endpointName(endpoint));
            var variant = described.productionVariants().get(0);
            if (described.endpointStatus() == EndpointStatus.IN_SERVICE
                    && variant.currentInstanceCount() == count
                    && variant.desiredInstanceCount() == count) {
                return described;
            }
            assertThat(System.nanoTime())
                    .as("%s has %d instance(s): %s", endpoint, count, described)
                    .isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    private static String upload(String key, String text) {
        client.putObject(
                r -> r.bucket("inputs").key(key), software.amazon.awssdk.core.sync.RequestBody.fromString(text));
        return "s3://inputs/" + key;
    }

    private static ResponseBytes<GetObjectResponse> awaitObject(String location) {
        URI uri = URI.create(location);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                return client.getObjectAsBytes(
                        r -> r.bucket(uri.getHost()).key(uri.getPath().substring(1)));
            } catch (NoSuchKeyException e) {
                assertThat(System.nanoTime()).as("%s is written", location).isLessThan(deadline);
                TandemFixture.sleep(Duration.ofMillis(50));
            }
        }
    }

    private static boolean objectExists(String location) {
        URI uri = URI.create(location);
        try {
            client.headObject(r -> r.bucket(uri.getHost()).key(uri.getPath().substring(1)));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private static HttpResponse<String> post(String endpoint, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        tandem.baseUrl().resolve("/endpoints/" + endpoint + "/async-invocations"))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(HttpResponse<String> response, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).hasValue("ValidationError");
        assertThat(response.body()).contains(message);
    }

    private static JsonNode status(String endpoint, String inferenceId) {
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(tandem.baseUrl()
                                    .resolve("/endpoints/" + endpoint + "/async-invocations/" + inferenceId))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String metrics() {
        try {
            return http.send(
                            HttpRequest.newBuilder(tandem.baseUrl().resolve("/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                    .body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static ProductionVariant variant(String model, int instances) {
        return ProductionVariant.builder()
                .variantName("AllTraffic")
                .modelName(model)
                .initialInstanceCount(instances)
                .build();
    }

    private static DesiredWeightAndCapacity capacity(int instances) {
        return DesiredWeightAndCapacity.builder()
                .variantName("AllTraffic")
                .desiredInstanceCount(instances)
                .build();
    }
}
