package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.FaultyContainer;
import dev.tandem.it.support.TandemFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.DescribeTransformJobResponse;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemaker.model.TransformJobStatus;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointAsyncResponse;

/**
 * Containers that fail in every way {@link FaultyContainer} knows: crashing mid-answer, silent,
 * trickling, speaking something that is not HTTP, closing the connection, sending less than the
 * length they announced, answering more than Tandem holds, going deaf to {@code /ping}. Each time the client gets a
 * clear error within the invocation timeout, nothing hangs, the endpoint serves again once the
 * fault is over, another endpoint never notices, and no thread or connection is left behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** The longest any one answer may take: the invocation timeout and some slack for a slow machine. */
    private static final Duration PROMPT = TIMEOUT.plusSeconds(3);

    @TempDir
    static Path workDir;

    private static TandemFixture tandem;
    private static long baselineFiles;
    private static int baselineThreads;

    @BeforeAll
    static void start() throws IOException {
        tandem = TandemFixture.start(
                workDir, config -> config.withRuntime(config.runtime().withInvocationTimeout(TIMEOUT)));
        tandem.deployAndAwait(
                """
                {"ModelName": "faulty", "PrimaryContainer": {"Image": "exec:faulty-container",
                  "Environment": {"HUGE_BYTES": "30000000"}}}
                """);
        tandem.deployAndAwait(
                """
                {"ModelName": "bystander", "PrimaryContainer": {"Image": "exec:test-container"}}
                """);
        for (int i = 0; i < 20; i++) {
            assertThat(invoke("faulty", "ok").statusCode()).isEqualTo(200);
            assertThat(invoke("bystander", "ok").statusCode()).isEqualTo(200);
        }
        baselineFiles = openFiles();
        baselineThreads = serverThreads().size();
    }

    @AfterAll
    static void stop() {
        tandem.close();
    }

    @Order(1)
    @ParameterizedTest
    @ValueSource(strings = {"hang", "trickle", "malformed", "close", "short", "crash"})
    void aFailingContainerGivesAModelErrorInTimeAndTheEndpointRecovers(String fault) {
        HttpResponse<String> answer = invoke("faulty", fault);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(424);
        assertThat(answer.headers().firstValue("x-amzn-ErrorType")).hasValue("ModelError");
        assertThat(answer.body()).contains("faulty").doesNotContain("InternalFailure");
        assertRecovers();
    }

    @Order(2)
    @ParameterizedTest
    @ValueSource(strings = {"surplus", "late-surplus"})
    void bytesPastContentLengthDoNotSpillIntoTheNextAnswer(String fault) {
        HttpResponse<String> answer = invoke("faulty", fault);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(fault);
        if (fault.startsWith("late")) {
            // Surplus that arrives while the connection idles in the pool. (Had the next request
            // gone out first, its answer would begin with the surplus: no client can tell those apart.)
            TandemFixture.sleep(Duration.ofMillis(150));
        }

        // The connection that carried the surplus is not reused: every next request is answered
        // on the first try (before, the next one on that connection failed "invalid version format").
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> next = invoke("faulty", "ok " + i);
            assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("ok " + i);
        }
    }

    @Order(3)
    @Test
    void anAnswerOverTheMemoryBoundIsAModelErrorNamingIt() {
        HttpResponse<String> answer = invoke("faulty", "huge");

        // 30 MB against the bound of four payload limits (4 x 6,291,456 bytes).
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(424);
        assertThat(answer.body()).contains("at most 25165824 bytes are taken");
        assertRecovers();
    }

    @Order(4)
    @Test
    void aContainerDeafToPingIsReplacedWhileRequestsGetPromptAnswers() {
        assertThat(invoke("faulty", "deaf-ping").statusCode()).isEqualTo(200);
        // The health checks notice within a second or two and restart it; meanwhile every request
        // gets a prompt answer — served, or refused as unavailable — and never hangs.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        boolean refusedWhileUnhealthy = false;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> answer = invoke("faulty", "ok");
            // 424 for a request caught in flight when the deaf container is stopped.
            assertThat(answer.statusCode()).as(answer.body()).isIn(200, 503, 429, 424);
            refusedWhileUnhealthy |= answer.statusCode() != 200;
            if (refusedWhileUnhealthy && answer.statusCode() == 200) {
                break;
            }
            TandemFixture.sleep(Duration.ofMillis(100));
        }
        assertThat(refusedWhileUnhealthy)
                .as("the deaf container was taken out of traffic")
                .isTrue();
        assertRecovers();
    }

    /**
     * A container that stops listening while its process lives on would be seen by its health
     * checks only after three missed ones (here 3 × 10 s). The requests its instance refuses go to
     * the other instance, which serves them; with no other instance, the client is told to retry —
     * and the refusal has the container checked at once, and replaced.
     */
    @Order(5)
    @Test
    void aRefusedRequestIsServedByAnotherInstanceWhileHealthChecksHaveNotSeenTheContainerGo(@TempDir Path otherDir) {
        try (TandemFixture slowChecks = withSlowHealthChecks(otherDir)) {
            SageMakerClient sm = slowChecks.sageMaker();
            for (int instances : new int[] {1, 2}) {
                String name = "faulty-" + instances;
                createFaultyModel(sm, name, otherDir);
                sm.createEndpointConfig(r -> r.endpointConfigName(name).productionVariants(variant(name, instances)));
                sm.createEndpoint(r -> r.endpointName(name).endpointConfigName(name));
                TandemFixture.awaitInService(sm, name);
                for (int i = 0; i < 10; i++) {
                    assertThat(slowChecks.invoke(name, "ok").statusCode()).isEqualTo(200);
                }
            }

            // One instance: the next request finds its only container refusing, and is told to retry.
            assertThat(slowChecks.invoke("faulty-1", "unlisten").statusCode()).isEqualTo(200);
            TandemFixture.sleep(Duration.ofMillis(300));
            HttpResponse<String> refused = slowChecks.invoke("faulty-1", "ok");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("x-amzn-ErrorType")).hasValue("ServiceUnavailable");
            assertThat(refused.body()).contains("is not accepting connections", "Retry the request");
            // Told of the refusal, its supervisor pings it at once rather than in 10 s, and replaces
            // it: it serves again long before three missed health checks (30 s) would have said.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int status = refused.statusCode();
            while (status != 200 && System.nanoTime() < deadline) {
                TandemFixture.sleep(Duration.ofMillis(100));
                status = slowChecks.invoke("faulty-1", "ok").statusCode();
            }
            assertThat(status).as("served again within 10 s").isEqualTo(200);

            // Two instances: every request is served, by the one that still listens.
            assertThat(slowChecks.invoke("faulty-2", "unlisten").statusCode()).isEqualTo(200);
            TandemFixture.sleep(Duration.ofMillis(300));
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> answer = slowChecks.invoke("faulty-2", "ok " + i);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo("ok " + i);
            }
        }
    }

    /**
     * A container that stops listening for a moment — its listener restarting — is passed over from
     * its first refusal on, and takes requests again as soon as its ping passes, without a restart.
     * (Ten missed checks to fail, so that 300 ms of deafness, three or four pings, is not enough.)
     */
    @Order(6)
    @Test
    void aContainerDeafForAMomentServesAgainWithoutARestart(@TempDir Path otherDir) throws Exception {
        try (TandemFixture patient = TandemFixture.start(
                otherDir,
                config -> config.withRuntime(config.runtime().withHealthChecks(Duration.ofSeconds(10), 10)))) {
            SageMakerClient sm = patient.sageMaker();
            createFaultyModel(sm, "blinking", otherDir);
            sm.createEndpointConfig(r -> r.endpointConfigName("blinking").productionVariants(variant("blinking", 1)));
            sm.createEndpoint(r -> r.endpointName("blinking").endpointConfigName("blinking"));
            TandemFixture.awaitInService(sm, "blinking");

            assertThat(patient.invoke("blinking", "blink").statusCode()).isEqualTo(200);
            HttpResponse<String> refused = patient.invoke("blinking", "ok");
            assertThat(refused.statusCode())
                    .as("sent within the container's 300 ms of deafness: " + refused.body())
                    .isEqualTo(503);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            HttpResponse<String> answer = refused;
            while (answer.statusCode() != 200 && System.nanoTime() < deadline) {
                TandemFixture.sleep(Duration.ofMillis(50));
                answer = patient.invoke("blinking", "ok");
            }
            assertThat(answer.statusCode())
                    .as("served again within 5 s: " + answer.body())
                    .isEqualTo(200);
            assertThat(answer.body()).isEqualTo("ok");

            HttpResponse<String> metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(patient.baseUrl() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body())
                    .as("the same process: not restarted")
                    .containsPattern("tandem_container_restarts\\{[^}]*endpoint=\"blinking\"[^}]*} 0.0");
        }
    }

    /**
     * A batch transform retries a refused record three times within 3.5 s; the refusal has the
     * container replaced well within that, though its health checks (3 × 10 s) would take 30 s.
     */
    @Order(7)
    @Test
    void aBatchTransformRidesOutAContainerThatStopsListening(@TempDir Path otherDir) throws IOException {
        try (TandemFixture slowChecks = withSlowHealthChecks(otherDir)) {
            SageMakerClient sm = slowChecks.sageMaker();
            createFaultyModel(sm, "faulty", otherDir);
            List<String> records = List.of("one", "two", "unlisten", "four", "five", "six");
            Path input = Files.createDirectories(otherDir.resolve("in"));
            Files.write(input.resolve("records.txt"), records);
            Path output = otherDir.resolve("out");

            sm.createTransformJob(r -> r.transformJobName("through-a-refusal")
                    .modelName("faulty")
                    .batchStrategy("SingleRecord")
                    .maxConcurrentTransforms(1)
                    .transformInput(i -> i.contentType("text/plain")
                            .splitType("Line")
                            .dataSource(d -> d.s3DataSource(
                                    source -> source.s3DataType("S3Prefix").s3Uri("file:" + input))))
                    .transformOutput(o -> o.s3OutputPath("file:" + output).assembleWith("Line"))
                    .transformResources(
                            resources -> resources.instanceType("ml.m5.large").instanceCount(1)));
            DescribeTransformJobResponse job = BatchTransformIT.awaitEnd(sm, "through-a-refusal");

            assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            assertThat(Files.readAllLines(output.resolve("records.txt.out"))).containsExactlyElementsOf(records);
        }
    }

    /**
     * An asynchronous request is tried up to three times, at once each time; a refusal has the
     * container replaced within a second, and the request waits for that rather than spending its
     * attempts on a container that no longer listens.
     */
    @Order(8)
    @Test
    void anAsynchronousEndpointRidesOutAContainerThatStopsListening(@TempDir Path otherDir) throws IOException {
        try (TandemFixture slowChecks = withSlowHealthChecks(otherDir)) {
            SageMakerClient sm = slowChecks.sageMaker();
            Path outputs = otherDir.resolve("out");
            Path failures = otherDir.resolve("failures");
            createFaultyModel(sm, "faulty", otherDir);
            sm.createEndpointConfig(r -> r.endpointConfigName("faulty")
                    .productionVariants(variant("faulty", 1))
                    .asyncInferenceConfig(a -> a.outputConfig(
                            o -> o.s3OutputPath("file:" + outputs).s3FailurePath("file:" + failures))));
            sm.createEndpoint(r -> r.endpointName("faulty").endpointConfigName("faulty"));
            TandemFixture.awaitInService(sm, "faulty");
            Path inputs = Files.createDirectories(otherDir.resolve("in"));

            List<String> bodies = List.of("one", "unlisten", "three", "four", "five");
            for (String body : bodies) {
                Path input = Files.writeString(inputs.resolve(body + ".txt"), body);
                InvokeEndpointAsyncResponse accepted = slowChecks.sdk().invokeEndpointAsync(r -> r.endpointName(
                                "faulty")
                        .inputLocation("file:" + input)
                        .contentType("text/plain"));
                // Each one ends before the next is sent: the ones after "unlisten" meet the refusal.
                Path output = Path.of(accepted.outputLocation().substring("file:".length()));
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!Files.exists(output) && System.nanoTime() < deadline) {
                    assertThat(contents(failures)).as("failures").isEmpty();
                    TandemFixture.sleep(Duration.ofMillis(50));
                }
                assertThat(output).as("the result of " + body + ", within 10 s").exists();
                assertThat(Files.readString(output)).isEqualTo(body);
            }
        }
    }

    /**
     * A server of its own whose health checks are 10 s apart, three missed in a row to fail: a
     * container that stops listening is seen by them only after 30 s.
     */
    private static TandemFixture withSlowHealthChecks(Path dir) {
        return TandemFixture.start(
                dir, config -> config.withRuntime(config.runtime().withHealthChecks(Duration.ofSeconds(10), 3)));
    }

    /** A model of one {@link FaultyContainer}, the copy of its launcher in {@code dir}. */
    private static void createFaultyModel(SageMakerClient sm, String name, Path dir) {
        sm.createModel(r -> r.modelName(name)
                .primaryContainer(ContainerDefinition.builder()
                        .image("exec:" + dir.resolve("faulty-container"))
                        .build()));
    }

    private static ProductionVariant variant(String model, int instances) {
        return ProductionVariant.builder()
                .variantName("AllTraffic")
                .modelName(model)
                .instanceType("ml.m5.large")
                .initialInstanceCount(instances)
                .build();
    }

    /** The contents of the files in {@code folder}; none when it does not exist. */
    private static List<String> contents(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            List<String> texts = new java.util.ArrayList<>();
            for (Path file : files.toList()) {
                texts.add(Files.readString(file));
            }
            return texts;
        }
    }

    @Order(9)
    @Test
    void nothingIsLeftBehind() {
        // Connections to replaced containers and abandoned exchanges are closed, threads end.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline
                && (openFiles() > baselineFiles + 20 || serverThreads().size() > baselineThreads + 10)) {
            TandemFixture.sleep(Duration.ofMillis(200));
        }
        assertThat(openFiles()).isLessThanOrEqualTo(baselineFiles + 20);
        List<String> threads = serverThreads();
        assertThat(threads.size()).as("threads alive: %s", threads).isLessThanOrEqualTo(baselineThreads + 10);
    }

    /** The endpoint serves again within 30 s, and the bystander never stopped. */
    private static void assertRecovers() {
        assertThat(invoke("bystander", "still fine").statusCode()).isEqualTo(200);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int status = 0;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> answer = invoke("faulty", "ok");
            status = answer.statusCode();
            if (status == 200) {
                assertThat(answer.body()).isEqualTo("ok");
                return;
            }
            TandemFixture.sleep(Duration.ofMillis(100));
        }
        assertThat(status).as("the endpoint serves again").isEqualTo(200);
    }

    /** One invocation, which must be answered within {@link #PROMPT}. */
    private static HttpResponse<String> invoke(String endpoint, String body) {
        long start = System.nanoTime();
        HttpResponse<String> answer = tandem.invoke(endpoint, body);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("answered in time: " + body)
                .isLessThan(PROMPT);
        return answer;
    }

    /**
     * The names of this JVM's live platform threads, but for those the JDK keeps for a while after
     * their last task and ends by itself — the workers of its fork-join pools (virtual threads'
     * carriers among them, 30 s), its process reapers (60 s) — and the selector and worker threads
     * of the HTTP clients the tests themselves use. None of those is the server's to end, and they
     * outlive this test's wait; a leaked child process shows in the open files instead.
     */
    private static List<String> serverThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> !thread.isVirtual() && thread.isAlive())
                .map(Thread::getName)
                .filter(name -> !name.startsWith("ForkJoinPool")
                        && !name.startsWith("process reaper")
                        && !name.startsWith("HttpClient-"))
                .sorted()
                .toList();
    }

    private static long openFiles() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
