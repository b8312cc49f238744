package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.ServerConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.CreateTransformJobRequest;
import software.amazon.awssdk.services.sagemaker.model.DescribeTransformJobResponse;
import software.amazon.awssdk.services.sagemaker.model.ResourceInUseException;
import software.amazon.awssdk.services.sagemaker.model.SageMakerException;
import software.amazon.awssdk.services.sagemaker.model.TransformJobStatus;

/**
 * Batch transform through the AWS SDK for Java v2's {@code SageMakerClient}, on the penguins
 * example's model: every split type and strategy, filters and join, gzip, a failing record, and
 * the SDK's own waiter. Outputs are checked against what the real-time endpoint answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchTransformIT {
    private static final Path PENGUINS = CliProcess.repositoryRoot().resolve("examples/penguins");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path workDir;

    static TandemFixture tandem;
    static List<String> rows;
    static List<String> expected;

    /** Where the server runs its jobs: on this machine (a subclass runs the same cases on Spark). */
    ServerConfig engine(ServerConfig config) {
        return config;
    }

    @BeforeAll
    void start() throws IOException {
        tandem = TandemFixture.start(workDir, this::engine);
        tandem.deployFileAndAwait(PENGUINS.resolve("pipeline.json"));
        createModel("penguins-model", PENGUINS.resolve("model/transform.tar.gz"));
        rows = new ArrayList<>();
        for (String line :
                Files.readAllLines(PENGUINS.resolve("data/holdout.csv")).subList(1, 61)) {
            rows.add(line.substring(line.indexOf(',') + 1));
        }
        expected = new ArrayList<>();
        for (String row : rows) {
            HttpResponse<String> answer =
                    tandem.invoke("penguins", row, "Content-Type", "text/csv", "Accept", "text/csv");
            expected.add(answer.body().strip());
        }
    }

    @AfterAll
    void stop() {
        tandem.close();
    }

    @Test
    void eachInputFileGetsItsOutputWithRecordsInInputOrderForEitherStrategy() throws IOException {
        Path input = writeInputs("lines", 3, "", false);

        for (String strategy : List.of("SingleRecord", "MultiRecord")) {
            Path output = workDir.resolve("out-lines-" + strategy);
            DescribeTransformJobResponse job = run("lines-" + strategy, input, output, request -> request.batchStrategy(
                            strategy)
                    .maxConcurrentTransforms(4)
                    .transformResources(r -> r.instanceType("ml.m5.large").instanceCount(2)));

            assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            assertThat(outputs(output)).containsExactly("part-0.csv.out", "part-1.csv.out", "part-2.csv.out");
            List<String> all = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                all.addAll(Files.readAllLines(output.resolve("part-" + i + ".csv.out")));
            }
            assertThat(all).as(strategy).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void describeEchoesTheRequestWithSageMakersDefaults() throws IOException {
        Path input = writeInputs("defaults", 1, "", false);
        tandem.sageMaker()
                .createTransformJob(request("defaults", input, workDir.resolve("out-defaults"))
                        .build());
        DescribeTransformJobResponse job = awaitCompletedOrStopped(tandem.sageMaker(), "defaults");

        assertThat(job.transformJobArn()).isEqualTo("arn:aws:sagemaker:us-east-1:000000000000:transform-job/defaults");
        assertThat(job.dataProcessing().inputFilter()).isEqualTo("$");
        assertThat(job.dataProcessing().outputFilter()).isEqualTo("$");
        assertThat(job.dataProcessing().joinSourceAsString()).isEqualTo("None");
        assertThat(job.modelClientConfig().invocationsTimeoutInSeconds()).isEqualTo(600);
        assertThat(job.modelClientConfig().invocationsMaxRetries()).isEqualTo(3);
        assertThat(job.transformInput().compressionTypeAsString()).isEqualTo("None");
        assertThat(job.transformStartTime()).isNotNull();
        assertThat(job.transformEndTime()).isAfterOrEqualTo(job.transformStartTime());
        assertThat(tandem.sageMaker()
                        .listTransformJobs(r -> r.nameContains("default"))
                        .transformJobSummaries())
                .singleElement()
                .satisfies(summary -> assertThat(summary.transformJobStatus()).isEqualTo(TransformJobStatus.COMPLETED));
    }

    @Test
    void filtersAndJoinShapeCsvRecordsAroundTheModel() throws IOException {
        Path input = Files.createDirectories(workDir.resolve("in-join"));
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            csv.append("id-").append(i).append(',').append(rows.get(i)).append('\n');
        }
        Files.writeString(input.resolve("with-ids.csv"), csv);
        Path output = workDir.resolve("out-join");

        DescribeTransformJob job = new DescribeTransformJob(run("join", input, output, request -> request.batchStrategy(
                        "MultiRecord")
                .dataProcessing(d -> d.inputFilter("$[1:]").joinSource("Input").outputFilter("$[0,-2]"))));

        assertThat(job.status()).isEqualTo(TransformJobStatus.COMPLETED);
        List<String> lines = Files.readAllLines(output.resolve("with-ids.csv.out"));
        assertThat(lines).hasSize(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertThat(lines.get(i)).isEqualTo("id-" + i + "," + expected.get(i).split(",")[0]);
        }
    }

    @Test
    void jsonRecordsAreJoinedUnderSageMakerOutput() throws IOException {
        Path input = Files.createDirectories(workDir.resolve("in-json"));
        Files.writeString(
                input.resolve("records.jsonl"),
                """
                {"id": 1, "island": "Torgersen", "bill_length_mm": 39.1, "bill_depth_mm": 18.7, "flipper_length_mm": 181, "body_mass_g": 3750, "sex": "male"}
                {"id": 2, "island": "Biscoe", "bill_length_mm": 48.7, "bill_depth_mm": 14.1, "flipper_length_mm": 210, "body_mass_g": 4450, "sex": "female"}
                """);
        Path output = workDir.resolve("out-json");

        DescribeTransformJobResponse job = run("json-join", input, output, request -> request.transformInput(
                        i -> i.contentType("application/jsonlines")
                                .splitType("Line")
                                .dataSource(d -> d.s3DataSource(
                                        s -> s.s3DataType("S3Prefix").s3Uri("file:" + input))))
                .transformOutput(o -> o.s3OutputPath("file:" + output)
                        .accept("application/json")
                        .assembleWith("Line"))
                .dataProcessing(d -> d.joinSource("Input").outputFilter("$['id','SageMakerOutput']")));

        assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
        List<String> lines = Files.readAllLines(output.resolve("records.jsonl.out"));
        JsonNode first = JSON.readTree(lines.get(0));
        assertThat(first.get("id").asInt()).isEqualTo(1);
        assertThat(first.at("/SageMakerOutput/predictions/0/label").asText()).isEqualTo("Adelie");
        assertThat(JSON.readTree(lines.get(1))
                        .at("/SageMakerOutput/predictions/0/label")
                        .asText())
                .isEqualTo("Gentoo");
        assertThat(first.has("island")).isFalse();
    }

    @Test
    void gzipInputAndWholeFileRequestsWork() throws IOException {
        Path input = writeInputs("gzip", 2, "", true);
        Path output = workDir.resolve("out-gzip");

        DescribeTransformJobResponse job = run(
                "gzip",
                input,
                output,
                request -> request.transformInput(i -> i.contentType("text/csv")
                        .compressionType("Gzip")
                        .splitType("None")
                        .dataSource(d ->
                                d.s3DataSource(s -> s.s3DataType("S3Prefix").s3Uri("file:" + input)))));

        assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
        List<String> all = new ArrayList<>();
        all.addAll(Files.readAllLines(output.resolve("part-0.csv.gz.out")));
        all.addAll(Files.readAllLines(output.resolve("part-1.csv.gz.out")));
        assertThat(all).containsExactlyElementsOf(expected);
    }

    @Test
    void aFailingRecordLeavesNoOutputForItsFileOnlyAndFailsTheJobNamingIt() throws IOException {
        Path input = writeInputs("failing", 3, "", false);
        List<String> broken = new ArrayList<>(Files.readAllLines(input.resolve("part-1.csv")));
        broken.set(4, "Dream,forty,17.9,192,3500,male,2007");
        Files.write(input.resolve("part-1.csv"), broken);
        Path output = workDir.resolve("out-failing");

        DescribeTransformJobResponse job = run("failing", input, output, request -> {});

        assertThat(job.transformJobStatus()).isEqualTo(TransformJobStatus.FAILED);
        assertThat(job.failureReason())
                .contains("Input part-1.csv, record 5", "features answered 400", "'forty' is not a number");
        assertThat(outputs(output)).containsExactly("part-0.csv.out", "part-2.csv.out");
    }

    @Test
    void aRecordLargerThanThePayloadLimitFailsItsFileWithAClearReason() throws IOException {
        Path input = Files.createDirectories(workDir.resolve("in-large"));
        Files.writeString(input.resolve("large.csv"), "x".repeat(1_100_000) + "\n");

        DescribeTransformJobResponse job =
                run("large", input, workDir.resolve("out-large"), request -> request.maxPayloadInMB(1));

        assertThat(job.transformJobStatus()).isEqualTo(TransformJobStatus.FAILED);
        assertThat(job.failureReason())
                .isEqualTo("Input large.csv: a single record is larger than MaxPayloadInMB (1048576 bytes);"
                        + " raise MaxPayloadInMB or split the input.");
    }

    @Test
    void requestsTandemCannotRunAreRefusedAtCreation() throws IOException {
        Path input = writeInputs("refused", 1, "", false);
        SageMakerClient client = tandem.sageMaker();

        assertThatThrownBy(() -> client.createTransformJob(request("refused-model", input, workDir.resolve("o"))
                        .modelName("no-such-model")
                        .build()))
                .isInstanceOf(SageMakerException.class)
                .hasMessageContaining("Could not find model");
        assertThatThrownBy(() -> client.createTransformJob(request("refused-s3", input, workDir.resolve("o"))
                        .transformOutput(o -> o.s3OutputPath("https://example.com/out"))
                        .build()))
                .hasMessageContaining("TransformOutput.S3OutputPath https://example.com/out must be an s3://bucket/key"
                        + " or a file:/absolute/path location");
        assertThatThrownBy(() -> client.createTransformJob(request("refused-limits", input, workDir.resolve("o"))
                        .maxPayloadInMB(50)
                        .maxConcurrentTransforms(4)
                        .build()))
                .hasMessageContaining("MaxConcurrentTransforms (4) × MaxPayloadInMB (50) must not exceed 100");
        assertThatThrownBy(() -> client.createTransformJob(request("refused-filter", input, workDir.resolve("o"))
                        .dataProcessing(d -> d.inputFilter("$..x"))
                        .build()))
                .hasMessageContaining("DataProcessing.InputFilter '$..x' is not a JSONPath Tandem supports");
        assertThatThrownBy(() -> client.createTransformJob(
                        request("refused-empty", workDir.resolve("nothing-here/"), workDir.resolve("o"))
                                .build()))
                .hasMessageContaining("No input files match the prefix file:" + workDir.resolve("nothing-here"));

        run("twice", input, workDir.resolve("out-twice"), request -> {});
        assertThatThrownBy(() -> client.createTransformJob(
                        request("twice", input, workDir.resolve("out-twice")).build()))
                .isInstanceOf(ResourceInUseException.class)
                .hasMessageContaining("a job with this name already exists");
    }

    /** The response, the status as an enum. */
    private record DescribeTransformJob(DescribeTransformJobResponse response) {
        TransformJobStatus status() {
            assertThat(response.transformJobStatus())
                    .as(response.failureReason())
                    .isNotNull();
            return response.transformJobStatus();
        }
    }

    static DescribeTransformJobResponse run(
            String name, Path input, Path output, Consumer<CreateTransformJobRequest.Builder> customize) {
        CreateTransformJobRequest.Builder request = request(name, input, output);
        customize.accept(request);
        SageMakerClient client = tandem.sageMaker();
        client.createTransformJob(request.build());
        return awaitEnd(client, name);
    }

    /** Polls DescribeTransformJob until the job the ARN names has ended. */
    static DescribeTransformJobResponse awaitEndOf(SageMakerClient client, String arn) {
        return awaitEnd(client, arn.substring(arn.lastIndexOf('/') + 1));
    }

    /** Polls DescribeTransformJob until the job has ended, whichever way. */
    static DescribeTransformJobResponse awaitEnd(SageMakerClient client, String name) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            DescribeTransformJobResponse job = client.describeTransformJob(r -> r.transformJobName(name));
            if (List.of(TransformJobStatus.COMPLETED, TransformJobStatus.FAILED, TransformJobStatus.STOPPED)
                    .contains(job.transformJobStatus())) {
                return job;
            }
            assertThat(System.nanoTime()).as("job %s ended", name).isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    /** Waits as boto3's {@code transform_job_completed_or_stopped} does: it fails on Failed. */
    static DescribeTransformJobResponse awaitCompletedOrStopped(SageMakerClient client, String name) {
        return client.waiter()
                .waitUntilTransformJobCompletedOrStopped(
                        r -> r.transformJobName(name), o -> o.waitTimeout(Duration.ofSeconds(120))
                                .maxAttempts(1200)
                                .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(100))))
                .matched()
                .response()
                .orElseThrow();
    }

    static CreateTransformJobRequest.Builder request(String name, Path input, Path output) {
        return CreateTransformJobRequest.builder()
                .transformJobName(name)
                .modelName("penguins-model")
                .transformInput(i -> i.contentType("text/csv")
                        .splitType("Line")
                        .dataSource(d ->
                                d.s3DataSource(s -> s.s3DataType("S3Prefix").s3Uri("file:" + input))))
                .transformOutput(
                        o -> o.s3OutputPath("file:" + output).accept("text/csv").assembleWith("Line"))
                .transformResources(r -> r.instanceType("ml.m5.large").instanceCount(1));
    }

    /** The 60 held-out rows spread over {@code files} files named part-N.csv(.gz). */
    static Path writeInputs(String name, int files, String header, boolean gzip) throws IOException {
        Path folder = Files.createDirectories(workDir.resolve("in-" + name));
        int per = rows.size() / files;
        for (int f = 0; f < files; f++) {
            String content = header + String.join("\n", rows.subList(f * per, (f + 1) * per)) + "\n";
            Path file = folder.resolve("part-" + f + ".csv" + (gzip ? ".gz" : ""));
            if (gzip) {
                try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
                    out.write(content.getBytes(StandardCharsets.UTF_8));
                }
            } else {
                Files.writeString(file, content);
            }
        }
        return folder;
    }

    static List<String> outputs(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    static void createModel(String name, Path transformModel) {
        Path model = transformModel.getParent();
        tandem.sageMaker().createModel(r -> r.modelName(name)
                .containers(
                        ContainerDefinition.builder()
                                .containerHostname("features")
                                .image("builtin:transform")
                                .modelDataUrl("file:" + model.resolve("transform.tar.gz"))
                                .build(),
                        ContainerDefinition.builder()
                                .containerHostname("xgboost")
                                .image("builtin:xgboost")
                                .modelDataUrl("file:" + model.resolve("xgboost.tar.gz"))
                                .build(),
                        ContainerDefinition.builder()
                                .containerHostname("species")
                                .image("builtin:postprocess")
                                .environment(Map.of("TANDEM_LABELS", "Adelie,Chinstrap,Gentoo", "TANDEM_DECIMALS", "3"))
                                .build()));
    }
}
