package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.S3ProxyServer;
import dev.tandem.it.support.SparkCluster;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.runtime.storage.S3Settings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.CreateTransformJobRequest;
import software.amazon.awssdk.services.sagemaker.model.DescribeTransformJobResponse;
import software.amazon.awssdk.services.sagemaker.model.TransformJobStatus;

/**
 * Transform jobs on a real standalone Spark cluster — a master and two workers on loopback, each
 * worker starting executor processes — reading from and writing to an S3-compatible store: the
 * outputs match the local runner's byte for byte, a worker killed mid-job leaves every output
 * exactly once, progress comes from the executors as they go, and StopTransformJob ends the Spark
 * application.
 */
class SparkClusterIT {
    private static final Path PENGUINS = CliProcess.repositoryRoot().resolve("examples/penguins");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path workDir;

    static S3ProxyServer s3;
    static S3Client store;
    static SparkCluster cluster;
    static TandemFixture tandem;

    @BeforeAll
    static void start() throws IOException {
        s3 = S3ProxyServer.start(Files.createDirectories(workDir.resolve("s3")));
        store = s3.client();
        store.createBucket(b -> b.bucket("models"));
        store.createBucket(b -> b.bucket("data"));
        cluster = SparkCluster.start(Files.createDirectories(workDir.resolve("spark")), 2);
        tandem = TandemFixture.start(
                workDir,
                config -> cluster.on(config.withS3(
                        S3Settings.at(s3.endpoint(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))));
        for (String archive : List.of("transform.tar.gz", "xgboost.tar.gz")) {
            store.putObject(
                    r -> r.bucket("models").key("penguins/" + archive),
                    RequestBody.fromFile(PENGUINS.resolve("model").resolve(archive)));
        }
        tandem.sageMaker().createModel(r -> r.modelName("penguins")
                .containers(
                        ContainerDefinition.builder()
                                .containerHostname("features")
                                .image("builtin:transform")
                                .modelDataUrl("s3://models/penguins/transform.tar.gz")
                                .build(),
                        ContainerDefinition.builder()
                                .containerHostname("xgboost")
                                .image("builtin:xgboost")
                                .modelDataUrl("s3://models/penguins/xgboost.tar.gz")
                                .build(),
                        ContainerDefinition.builder()
                                .containerHostname("species")
                                .image("builtin:postprocess")
                                .environment(Map.of("TANDEM_LABELS", "Adelie,Chinstrap,Gentoo", "TANDEM_DECIMALS", "3"))
                                .build()));
        tandem.sageMaker().createModel(r -> r.modelName("slow")
                .primaryContainer(c -> c.image("exec:" + workDir.resolve("test-container"))
                        .environment(Map.of("SLEEP_MS", "50", "TAG", "m"))));
    }

    @AfterAll
    static void stop() {
        if (tandem != null) {
            tandem.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void aJobOnTheClusterWritesWhatTheLocalRunnerWritesUsingBothWorkers() throws IOException {
        List<String> rows = new ArrayList<>();
        for (String line :
                Files.readAllLines(PENGUINS.resolve("data/holdout.csv")).subList(1, 61)) {
            rows.add(line.substring(line.indexOf(',') + 1));
        }
        for (int f = 0; f < 6; f++) {
            String content = String.join("\n", rows.subList(f * 10, f * 10 + 10)) + "\n";
            put("penguins/in/day-" + f + ".csv", content);
        }

        DescribeTransformJobResponse local = run(penguins("penguins-local", "local"));
        long[] workersUsed = {0};
        tandem.sageMaker().createTransformJob(penguins("penguins-spark", null).build());
        DescribeTransformJobResponse spark = awaitEnd(
                "penguins-spark", () -> workersUsed[0] = Math.max(workersUsed[0], cluster.workersWithExecutors()));

        assertThat(local.transformJobStatus()).as(local.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
        assertThat(spark.transformJobStatus()).as(spark.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
        Map<String, String> fromLocal = outputs("penguins/out-local/");
        assertThat(fromLocal).hasSize(6);
        assertThat(outputs("penguins/out-spark/")).isEqualTo(fromLocal);
        assertThat(String.join("", fromLocal.values()).lines()).hasSize(60).allMatch(l -> l.matches("\\w+,0\\.\\d+"));
        assertThat(workersUsed[0]).as("an executor on each worker").isEqualTo(2);
    }

    @Test
    void aWorkerKilledMidJobLeavesEveryOutputExactlyOnceAndProgressCameFromTheExecutors() throws IOException {
        for (int f = 0; f < 6; f++) {
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                lines.append("file").append(f).append("-line").append(i).append('\n');
            }
            put("slow/in/part-" + f + ".csv", lines.toString());
        }
        tandem.sageMaker()
                .createTransformJob(slow("killed", "slow/in/", "slow/out/").build());

        // Both executors are at work once records are counted; then one machine goes.
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonNode progress = progress("killed");
        while (progress.at("/Progress/Records").asLong() < 20 || cluster.executorCount() < 2) {
            assertThat(System.nanoTime())
                    .as("records counted while the job runs")
                    .isLessThan(deadline);
            assertThat(progress.path("TransformJobStatus").asText()).isEqualTo("InProgress");
            TandemFixture.sleep(Duration.ofMillis(100));
            progress = progress("killed");
        }
        assertThat(progress.at("/Progress/FilesDone").asLong()).isLessThan(6);
        cluster.killWorker(1);
        DescribeTransformJobResponse job = awaitEnd("killed", () -> {});

        assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
        Map<String, String> outputs = outputs("slow/out/");
        assertThat(outputs.keySet())
                .as("one output per input, nothing partial")
                .containsExactly(
                        "part-0.csv.out",
                        "part-1.csv.out",
                        "part-2.csv.out",
                        "part-3.csv.out",
                        "part-4.csv.out",
                        "part-5.csv.out");
        for (int f = 0; f < 6; f++) {
            List<String> lines = outputs.get("part-" + f + ".csv.out").lines().toList();
            assertThat(lines).hasSize(40);
            for (int i = 0; i < 40; i++) {
                assertThat(lines.get(i)).startsWith("file" + f + "-line" + i + ">m(");
            }
        }
        JsonNode done = progress("killed");
        assertThat(done.path("TransformJobStatus").asText()).isEqualTo("Completed");

        cluster.addWorker();
        cluster.awaitWorkers(2);
    }

    @Test
    void stopTransformJobEndsTheSparkApplication() throws IOException {
        for (int f = 0; f < 2; f++) {
            put("stop/in/part-" + f + ".csv", "x\n".repeat(400));
        }
        tandem.sageMaker()
                .createTransformJob(slow("stopped", "stop/in/", "stop/out/").build());
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (progress("stopped").at("/Progress/Records").asLong() < 5) {
            assertThat(System.nanoTime()).as("the job under way").isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(100));
        }

        tandem.sageMaker().stopTransformJob(r -> r.transformJobName("stopped"));
        DescribeTransformJobResponse job = awaitEnd("stopped", () -> {});

        assertThat(job.transformJobStatus()).isEqualTo(TransformJobStatus.STOPPED);
        assertThat(outputs("stop/out/")).isEmpty();
        long gone = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (cluster.executorCount() > 0) {
            assertThat(System.nanoTime()).as("the application's executors end").isLessThan(gone);
            TandemFixture.sleep(Duration.ofMillis(200));
        }
    }

    private static CreateTransformJobRequest.Builder penguins(String name, String engine) {
        String suffix = engine == null ? "spark" : engine;
        CreateTransformJobRequest.Builder request = CreateTransformJobRequest.builder()
                .transformJobName(name)
                .modelName("penguins")
                .batchStrategy("MultiRecord")
                .transformInput(i -> i.contentType("text/csv")
                        .splitType("Line")
                        .dataSource(d ->
                                d.s3DataSource(s -> s.s3DataType("S3Prefix").s3Uri("s3://data/penguins/in/"))))
                .transformOutput(o -> o.s3OutputPath("s3://data/penguins/out-" + suffix + "/")
                        .accept("text/csv")
                        .assembleWith("Line"))
                .transformResources(r -> r.instanceType("ml.m5.large").instanceCount(1));
        if (engine != null) {
            request.environment(Map.of("TANDEM_BATCH_ENGINE", engine));
        }
        return request;
    }

    private static CreateTransformJobRequest.Builder slow(String name, String in, String out) {
        return CreateTransformJobRequest.builder()
                .transformJobName(name)
                .modelName("slow")
                .transformInput(i -> i.contentType("text/csv")
                        .splitType("Line")
                        .dataSource(d ->
                                d.s3DataSource(s -> s.s3DataType("S3Prefix").s3Uri("s3://data/" + in))))
                .transformOutput(o -> o.s3OutputPath("s3://data/" + out).assembleWith("Line"))
                .transformResources(r -> r.instanceType("ml.m5.large").instanceCount(1));
    }

    private static DescribeTransformJobResponse run(CreateTransformJobRequest.Builder request) {
        CreateTransformJobRequest built = request.build();
        tandem.sageMaker().createTransformJob(built);
        return awaitEnd(built.transformJobName(), () -> {});
    }

    private static DescribeTransformJobResponse awaitEnd(String name, Runnable meanwhile) {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (true) {
            DescribeTransformJobResponse job = tandem.sageMaker().describeTransformJob(r -> r.transformJobName(name));
            if (List.of(TransformJobStatus.COMPLETED, TransformJobStatus.FAILED, TransformJobStatus.STOPPED)
                    .contains(job.transformJobStatus())) {
                return job;
            }
            meanwhile.run();
            assertThat(System.nanoTime()).as("job %s ended", name).isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(100));
        }
    }

    private static void put(String key, String content) {
        store.putObject(r -> r.bucket("data").key(key), RequestBody.fromString(content));
    }

    /** The objects under {@code prefix} of bucket data, by name, with their content. */
    private static Map<String, String> outputs(String prefix) {
        Map<String, String> outputs = new TreeMap<>();
        for (S3Object object :
                store.listObjectsV2(r -> r.bucket("data").prefix(prefix)).contents()) {
            outputs.put(
                    object.key().substring(prefix.length()),
                    store.getObjectAsBytes(r -> r.bucket("data").key(object.key()))
                            .asUtf8String());
        }
        return outputs;
    }

    private static JsonNode progress(String job) throws IOException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> answer = client.send(
                    HttpRequest.newBuilder(URI.create(tandem.baseUrl() + "/transform-jobs/" + job + "/progress"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(answer.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
