package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointResponse;
import software.amazon.awssdk.services.sagemaker.model.EndpointStatus;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeClient;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointAsyncResponse;

/**
 * Asynchronous inference against {@code ./tandem serve} as a separate process: killed with SIGKILL
 * while hundreds of accepted requests are queued and running, then started again on the same data
 * dir, it loses none; and an input several times its heap streams through it.
 */
class AsyncRestartIT {
    private static final Pattern URL_LINE = Pattern.compile("Endpoint front: POST (http://127\\.0\\.0\\.1:\\d+)/");

    @TempDir
    Path workDir;

    @Test
    void aServerKilledWithHundredsOfRequestsAcceptedEndsEachWithExactlyOneObject() throws Exception {
        Path data = workDir.resolve("data");
        Path outputs = workDir.resolve("out");
        Path failures = workDir.resolve("failures");
        Path inputs = Files.createDirectories(workDir.resolve("in"));
        int requests = 300;
        List<InvokeEndpointAsyncResponse> accepted = new ArrayList<>();
        try (CliProcess serve = serve(data, Map.of())) {
            URI url = URI.create(
                    serve.awaitStderr(URL_LINE, Duration.ofSeconds(60)).group(1));
            try (SageMakerClient sm = TandemFixture.pointAt(SageMakerClient.builder(), url, "x", "x")
                            .build();
                    SageMakerRuntimeClient runtime = TandemFixture.pointAt(
                                    SageMakerRuntimeClient.builder(), url, "x", "x")
                            .build()) {
                createAsyncEndpoint(sm, "queue", Map.of("TAG", "m", "SLEEP_MS", "40"), outputs, failures);
                List<Future<InvokeEndpointAsyncResponse>> answers = new ArrayList<>();
                try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
                    for (int i = 0; i < requests; i++) {
                        Path input = Files.writeString(inputs.resolve("request-" + i + ".txt"), "request-" + i);
                        String id = "request-" + i;
                        answers.add(clients.submit(() -> runtime.invokeEndpointAsync(r -> r.endpointName("queue")
                                .inputLocation("file:" + input)
                                .contentType("text/plain")
                                .inferenceId(id))));
                    }
                    for (Future<InvokeEndpointAsyncResponse> answer : answers) {
                        accepted.add(answer.get());
                    }
                }
            }
            long written = countFiles(outputs);
            assertThat(written)
                    .as("some requests are still waiting when the server is killed")
                    .isLessThan(requests);
            serve.process().toHandle().destroyForcibly(); // SIGKILL: no shutdown hook runs
            serve.awaitExit(Duration.ofSeconds(30));
        }
        assertThat(accepted).hasSize(requests);

        try (CliProcess restarted = serve(data, Map.of())) {
            restarted.awaitStderr(URL_LINE, Duration.ofSeconds(60));
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (countFiles(outputs) + countFiles(failures) < requests) {
                assertThat(System.nanoTime())
                        .as(
                                "every accepted request ends after the restart (%d of %d so far)",
                                countFiles(outputs) + countFiles(failures), requests)
                        .isLessThan(deadline);
                TandemFixture.sleep(Duration.ofMillis(100));
            }
            TandemFixture.sleep(Duration.ofMillis(500)); // nothing more appears: no duplicates
        }
        assertThat(countFiles(failures)).isZero();
        assertThat(countFiles(outputs)).isEqualTo(requests);
        for (InvokeEndpointAsyncResponse answer : accepted) {
            Path output = Path.of(URI.create(answer.outputLocation().replace("file:", "file://"))
                    .getPath());
            assertThat(Files.readString(output))
                    .isEqualTo(answer.inferenceId() + ">m(ct=text/plain,accept=null,ca=null)");
        }
    }

    @Test
    void anInputSeveralTimesTheHeapStreamsThroughAndTheCommandLineWaitsForResults() throws Exception {
        Path data = workDir.resolve("data");
        Path outputs = workDir.resolve("out");
        Path input = workDir.resolve("big.bin");
        long size = 320L * 1024 * 1024;
        writeRandom(input, size);
        try (CliProcess serve = serve(data, Map.of("JAVA_TOOL_OPTIONS", "-Xmx96m"))) {
            String url = serve.awaitStderr(URL_LINE, Duration.ofSeconds(60)).group(1);
            try (SageMakerClient sm = TandemFixture.pointAt(SageMakerClient.builder(), URI.create(url), "x", "x")
                    .build()) {
                createAsyncEndpoint(
                        sm, "stream", Map.of("BEHAVIOUR", "stream-echo"), outputs, workDir.resolve("failures"));
            }

            CliProcess big = CliProcess.run(List.of(
                    "invoke-async",
                    "stream",
                    "--url",
                    url,
                    "--input-location",
                    "file:" + input,
                    "--content-type",
                    "application/octet-stream"));
            assertThat(big.awaitExit(Duration.ofSeconds(30))).as(big.stderr()).isZero();
            String output = big.stdout()
                    .lines()
                    .filter(line -> line.startsWith("OutputLocation: "))
                    .findFirst()
                    .orElseThrow()
                    .substring("OutputLocation: ".length());
            Path result = Path.of(output.substring("file:".length()));
            long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
            while (!Files.exists(result)) {
                assertThat(serve.process().isAlive()).as(serve.stderr()).isTrue();
                assertThat(System.nanoTime()).as("the result is written").isLessThan(deadline);
                TandemFixture.sleep(Duration.ofMillis(200));
            }
            assertThat(Files.size(result)).isEqualTo(size);
            assertThat(Files.mismatch(result, input)).isEqualTo(-1L);
            assertThat(size).isGreaterThan(3L * 96 * 1024 * 1024);

            Path small = Files.writeString(workDir.resolve("small.txt"), "small input");
            CliProcess waited = CliProcess.run(
                    List.of("invoke-async", "stream", "--url", url, "--file", small.toString(), "--wait"));
            assertThat(waited.awaitExit(Duration.ofSeconds(60)))
                    .as(waited.stderr())
                    .isZero();
            assertThat(waited.stdout()).isEqualTo("small input");
            assertThat(waited.stderr()).contains("InferenceId: ").contains("Completed");

            CliProcess refused =
                    CliProcess.run(List.of("invoke-async", "front", "--url", url, "--file", small.toString()));
            assertThat(refused.awaitExit(Duration.ofSeconds(30))).isEqualTo(1);
            assertThat(refused.stderr()).contains("ValidationError (400)").contains("not an asynchronous endpoint");
        }
    }

    private CliProcess serve(Path data, Map<String, String> environment) throws IOException {
        TandemFixture.writeContainerScript(workDir.resolve("test-container"));
        Path front = workDir.resolve("front.json");
        Files.writeString(
                front,
                "{\"ModelName\": \"front\", \"PrimaryContainer\": {\"Image\": \"exec:test-container\"}}",
                StandardCharsets.UTF_8);
        return CliProcess.start(
                List.of("serve", "--port", "0", "--data-dir", data.toString(), front.toString()), environment);
    }

    private void createAsyncEndpoint(
            SageMakerClient sm, String name, Map<String, String> environment, Path outputs, Path failures) {
        sm.createModel(r -> r.modelName(name).primaryContainer(c -> c.image("exec:" + workDir.resolve("test-container"))
                .environment(environment)));
        sm.createEndpointConfig(r -> r.endpointConfigName(name)
                .productionVariants(ProductionVariant.builder()
                        .variantName("AllTraffic")
                        .modelName(name)
                        .initialInstanceCount(1)
                        .build())
                .asyncInferenceConfig(a -> a.clientConfig(c -> c.maxConcurrentInvocationsPerInstance(4))
                        .outputConfig(o -> o.s3OutputPath("file:" + outputs).s3FailurePath("file:" + failures))));
        sm.createEndpoint(r -> r.endpointName(name).endpointConfigName(name));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            DescribeEndpointResponse described = sm.describeEndpoint(r -> r.endpointName(name));
            if (described.endpointStatus() == EndpointStatus.IN_SERVICE) {
                return;
            }
            assertThat(described.endpointStatus()).as(described.failureReason()).isNotEqualTo(EndpointStatus.FAILED);
            assertThat(System.nanoTime()).as("%s in service", name).isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    /** Result objects in a folder; partial files being written are hidden and do not count. */
    private static long countFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> !file.getFileName().toString().startsWith("."))
                    .count();
        }
    }

    private static void writeRandom(Path file, long size) throws IOException {
        Random random = new Random(42);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, size - written));
            }
        }
    }
}
