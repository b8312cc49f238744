package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.CreateTransformJobRequest;
import software.amazon.awssdk.services.sagemaker.model.DescribeTransformJobResponse;
import software.amazon.awssdk.services.sagemaker.model.TransformJobStatus;

/**
 * What a transform job does over time, with child-process containers: the environment and
 * execution parameters they get, RecordIO records, stopping, and a server restart mid-job.
 */
class BatchTransformLifecycleIT {
    @TempDir
    Path workDir;

    /** Where the server runs its jobs: on this machine (a subclass runs the same cases on Spark). */
    ServerConfig engine(ServerConfig config) {
        return config;
    }

    TandemFixture start() {
        return TandemFixture.start(workDir, this::engine);
    }

    @Test
    void containersGetTheBatchEnvironmentAndTheirExecutionParametersFillWhatTheRequestLeftOut() throws IOException {
        try (TandemFixture tandem = start()) {
            createModel(
                    tandem,
                    "env-model",
                    Map.of(
                            "BEHAVIOUR",
                            "batch-env",
                            "EXECUTION_PARAMETERS",
                            "{\"MaxConcurrentTransforms\": 2, \"BatchStrategy\": \"MULTI_RECORD\", \"MaxPayloadInMB\": 1}"));
            Path input = Files.createDirectories(workDir.resolve("in"));
            Files.writeString(input.resolve("rows.csv"), "a\nb\nc\nd\n");
            Path output = workDir.resolve("out");

            DescribeTransformJobResponse job = run(
                    tandem.sageMaker(),
                    request("env", "env-model", input, output)
                            .environment(Map.of("JOB_SETTING", "from-the-job"))
                            .build());

            assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            // Launched with the defaults (the job named none), then batched as the container asked:
            // all four records in one request.
            assertThat(Files.readString(output.resolve("rows.csv.out")))
                    .isEqualTo("batch=true;payload=6;strategy=SINGLE_RECORD;concurrent=1;job=from-the-job;lines=4\n");
        }
    }

    @Test
    void recordIoInputIsSplitIntoFramedRecords() throws IOException {
        try (TandemFixture tandem = start()) {
            createModel(tandem, "echo-model", Map.of("TAG", "m"));
            Path input = Files.createDirectories(workDir.resolve("in"));
            ByteArrayOutputStream records = new ByteArrayOutputStream();
            for (String record : List.of("one", "three", "seven!!")) {
                records.writeBytes(recordIo(record));
            }
            Files.write(input.resolve("data.rec"), records.toByteArray());
            Path output = workDir.resolve("out");

            DescribeTransformJobResponse job = run(
                    tandem.sageMaker(),
                    request("recordio", "echo-model", input, output)
                            .transformInput(i -> i.contentType("application/x-recordio")
                                    .splitType("RecordIO")
                                    .dataSource(d -> d.s3DataSource(
                                            s -> s.s3DataType("S3Prefix").s3Uri("file:" + input))))
                            .build());

            assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            byte[] out = Files.readAllBytes(output.resolve("data.rec.out"));
            byte[] expected =
                    concat(recordIo("one"), echoed(), recordIo("three"), echoed(), recordIo("seven!!"), echoed());
            assertThat(out).isEqualTo(expected);
        }
    }

    @Test
    void aManifestListsTheInputsAndAFailedRequestIsRetriedAsModelClientConfigAllows() throws IOException {
        try (TandemFixture tandem = start()) {
            // The container exits on its first invocation; the retry reaches it restarted.
            createModel(
                    tandem,
                    "flaky-model",
                    Map.of(
                            "BEHAVIOUR",
                            "crash-once",
                            "CRASH_MARKER",
                            workDir.resolve("crashed").toString(),
                            "TAG",
                            "m"));
            Path data = Files.createDirectories(workDir.resolve("data-files/nested"));
            Files.writeString(data.resolve("one.csv"), "1\n");
            Files.writeString(data.resolve("two.csv"), "2\n");
            Files.writeString(data.resolve("ignored.csv"), "3\n");
            Path manifest = workDir.resolve("inputs.manifest");
            Files.writeString(
                    manifest,
                    "[{\"prefix\": \"file:" + workDir.resolve("data-files") + "/\"}, \"nested/one.csv\","
                            + " \"nested/two.csv\"]");
            Path output = workDir.resolve("out");

            DescribeTransformJobResponse job = run(
                    tandem.sageMaker(),
                    request("manifest", "flaky-model", manifest, output)
                            .transformInput(i -> i.contentType("text/csv")
                                    .splitType("Line")
                                    .dataSource(d -> d.s3DataSource(
                                            s -> s.s3DataType("ManifestFile").s3Uri("file:" + manifest))))
                            .modelClientConfig(c -> c.invocationsMaxRetries(2).invocationsTimeoutInSeconds(30))
                            .build());

            assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            assertThat(Files.readString(output.resolve("nested/one.csv.out")))
                    .isEqualTo("1>m(ct=text/csv,accept=null,ca=null)\n");
            assertThat(Files.readString(output.resolve("nested/two.csv.out")))
                    .isEqualTo("2>m(ct=text/csv,accept=null,ca=null)\n");
            assertThat(output.resolve("nested/ignored.csv.out")).doesNotExist();
            assertThat(workDir.resolve("crashed")).exists();
        }
    }

    @Test
    void stoppingAJobEndsItStoppedWithoutALeftoverOutput() throws IOException {
        try (TandemFixture tandem = start()) {
            createModel(tandem, "slow-model", Map.of("SLEEP_MS", "100"));
            Path input = Files.createDirectories(workDir.resolve("in"));
            Files.writeString(input.resolve("many.csv"), lines(300));
            Path output = workDir.resolve("out");
            SageMakerClient client = tandem.sageMaker();
            client.createTransformJob(
                    request("stoppable", "slow-model", input, output).build());
            TandemFixture.sleep(Duration.ofMillis(1500));
            DescribeTransformJobResponse running = client.describeTransformJob(r -> r.transformJobName("stoppable"));
            assertThat(running.transformJobStatus())
                    .as(running.failureReason())
                    .isEqualTo(TransformJobStatus.IN_PROGRESS);

            client.stopTransformJob(r -> r.transformJobName("stoppable"));
            TransformJobStatus right = client.describeTransformJob(r -> r.transformJobName("stoppable"))
                    .transformJobStatus();
            DescribeTransformJobResponse job = BatchTransformIT.awaitEnd(client, "stoppable");

            assertThat(right).isIn(TransformJobStatus.STOPPING, TransformJobStatus.STOPPED);
            assertThat(job.transformJobStatus()).isEqualTo(TransformJobStatus.STOPPED);
            assertThat(job.transformEndTime()).isNotNull();
            assertThat(output).satisfiesAnyOf(folder -> assertThat(folder).doesNotExist(), folder -> assertThat(folder)
                    .isEmptyDirectory());
        }
    }

    @Test
    void aJobCutOffByARestartResumesWithoutRedoingFinishedInputs() throws IOException {
        Path input = Files.createDirectories(workDir.resolve("in"));
        Files.writeString(input.resolve("a.csv"), lines(20));
        Files.writeString(input.resolve("b.csv"), lines(60));
        Path output = workDir.resolve("out");
        FileTime firstWritten;
        try (TandemFixture tandem = start()) {
            createModel(tandem, "slow-model", Map.of("SLEEP_MS", "50", "TAG", "m"));
            tandem.sageMaker()
                    .createTransformJob(
                            request("resumable", "slow-model", input, output).build());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(output.resolve("a.csv.out"))) {
                assertThat(System.nanoTime()).as("a.csv done").isLessThan(deadline);
                TandemFixture.sleep(Duration.ofMillis(20));
            }
            firstWritten = Files.getLastModifiedTime(output.resolve("a.csv.out"));
            assertThat(tandem.sageMaker()
                            .describeTransformJob(r -> r.transformJobName("resumable"))
                            .transformJobStatus())
                    .isEqualTo(TransformJobStatus.IN_PROGRESS);
        } // the server stops mid-job: b.csv is half done

        assertThat(output.resolve("b.csv.out")).doesNotExist();
        try (TandemFixture restarted = start()) {
            DescribeTransformJobResponse job = BatchTransformIT.awaitEnd(restarted.sageMaker(), "resumable");

            assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            assertThat(Files.readAllLines(output.resolve("b.csv.out"))).hasSize(60);
            assertThat(Files.readAllLines(output.resolve("a.csv.out"))).hasSize(20);
            assertThat(Files.getLastModifiedTime(output.resolve("a.csv.out"))).isEqualTo(firstWritten);
        }
    }

    static DescribeTransformJobResponse run(SageMakerClient client, CreateTransformJobRequest request) {
        client.createTransformJob(request);
        return BatchTransformIT.awaitEnd(client, request.transformJobName());
    }

    static void createModel(TandemFixture tandem, String name, Map<String, String> environment) {
        tandem.sageMaker().createModel(r -> r.modelName(name)
                .primaryContainer(c -> c.image("exec:" + tandem.workDir().resolve("test-container"))
                        .environment(environment)));
    }

    static CreateTransformJobRequest.Builder request(String name, String model, Path input, Path output) {
        return CreateTransformJobRequest.builder()
                .transformJobName(name)
                .modelName(model)
                .transformInput(i -> i.contentType("text/csv")
                        .splitType("Line")
                        .dataSource(d ->
                                d.s3DataSource(s -> s.s3DataType("S3Prefix").s3Uri("file:" + input))))
                .transformOutput(o -> o.s3OutputPath("file:" + output).assembleWith("Line"))
                .transformResources(r -> r.instanceType("ml.m5.large").instanceCount(1));
    }

    static String lines(int count) {
        StringBuilder out = new StringBuilder();
        IntStream.range(0, count).forEach(i -> out.append("row-").append(i).append('\n'));
        return out.toString();
    }

    private static byte[] recordIo(String text) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        int padded = (data.length + 3) & ~3;
        ByteBuffer buffer = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(0xced7230a).putInt(data.length).put(data);
        return buffer.array();
    }

    private static byte[] echoed() {
        return ">m(ct=application/x-recordio,accept=null,ca=null)\n".getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
