package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.S3ProxyServer;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.runtime.storage.S3Settings;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sagemaker.model.CaptureMode;
import software.amazon.awssdk.services.sagemaker.model.CaptureOption;
import software.amazon.awssdk.services.sagemaker.model.ContainerDefinition;
import software.amazon.awssdk.services.sagemaker.model.DescribeTransformJobResponse;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemaker.model.TransformJobStatus;

/**
 * {@code s3://} model data and batch locations against a real S3 API on loopback (S3Proxy): the
 * penguins example's archives served from a bucket, and a transform job from one bucket prefix to
 * another.
 */
class ObjectStorageIT {
    private static final Path PENGUINS = CliProcess.repositoryRoot().resolve("examples/penguins");

    @TempDir
    static Path workDir;

    static S3ProxyServer s3;
    static S3Client client;
    static TandemFixture tandem;

    @BeforeAll
    static void start() throws IOException {
        s3 = S3ProxyServer.start(Files.createDirectories(workDir.resolve("s3")));
        client = s3.client();
        client.createBucket(b -> b.bucket("models"));
        client.createBucket(b -> b.bucket("data"));
        for (String archive : List.of("transform.tar.gz", "xgboost.tar.gz")) {
            client.putObject(
                    r -> r.bucket("models").key("penguins/" + archive),
                    RequestBody.fromFile(PENGUINS.resolve("model/" + archive)));
        }
        tandem = TandemFixture.start(
                workDir,
                config -> config.withS3(
                        S3Settings.at(s3.endpoint(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)));
    }

    @AfterAll
    static void stop() {
        tandem.close();
        client.close();
        s3.close();
    }

    @Test
    void modelArchivesInABucketAreDownloadedOnceAndServed() throws IOException {
        tandem.deployAndAwait(penguins("penguins-s3"));
        tandem.deployAndAwait(penguins("penguins-s3-again"));

        HttpResponse<String> answer = tandem.invoke(
                "penguins-s3", "Biscoe,50.0,15.2,218,5700,male,2009", "Content-Type", "text/csv", "Accept", "text/csv");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).startsWith("Gentoo,");
        try (Stream<Path> models = Files.list(workDir.resolve("data/models"))) {
            // Two endpoints on the same two archives: each archive fetched and extracted once.
            assertThat(models.map(p -> p.getFileName().toString())
                            .filter(n -> !n.equals("downloads") && !n.equals("empty")))
                    .hasSize(2)
                    .anySatisfy(n -> assertThat(n).startsWith("transform-"))
                    .anySatisfy(n -> assertThat(n).startsWith("xgboost-"));
        }
    }

    @Test
    void aMissingArchiveFailsTheEndpointNamingIt() {
        String pipeline =
                """
                {"ModelName": "missing-s3", "Containers": [
                  {"ContainerHostname": "xgboost", "Image": "builtin:xgboost",
                   "ModelDataUrl": "s3://models/penguins/nothing.tar.gz"}]}
                """;
        tandem.server().servePipeline(pipeline.getBytes(java.nio.charset.StandardCharsets.UTF_8), workDir);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!tandem.server().controlPlane().endpoint("missing-s3").status().equals("Failed")) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(20));
        }
        assertThat(tandem.server().controlPlane().endpoint("missing-s3").failureReason())
                .contains("s3://models/penguins/nothing.tar.gz does not exist");
    }

    @Test
    void aTransformJobReadsAndWritesBucketPrefixes() {
        tandem.sageMaker().createModel(r -> r.modelName("penguins-batch")
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
                                .environment(Map.of("TANDEM_LABELS", "Adelie,Chinstrap,Gentoo"))
                                .build()));
        client.putObject(
                r -> r.bucket("data").key("in/day-1.csv"),
                RequestBody.fromString(
                        "Torgersen,39.1,18.7,181,3750,male,2007\nBiscoe,48.7,14.1,210,4450,female,2007\n"));
        client.putObject(
                r -> r.bucket("data").key("in/day-2.csv"),
                RequestBody.fromString("Dream,46.5,17.9,192,3500,female,2007\n"));

        DescribeTransformJobResponse job = BatchTransformIT.awaitEndOf(
                tandem.sageMaker(),
                tandem.sageMaker()
                        .createTransformJob(r -> r.transformJobName("from-s3")
                                .modelName("penguins-batch")
                                .transformInput(i -> i.contentType("text/csv")
                                        .splitType("Line")
                                        .dataSource(d -> d.s3DataSource(
                                                s -> s.s3DataType("S3Prefix").s3Uri("s3://data/in/"))))
                                .transformOutput(o -> o.s3OutputPath("s3://data/out/")
                                        .accept("text/csv")
                                        .assembleWith("Line"))
                                .transformResources(
                                        t -> t.instanceType("ml.m5.large").instanceCount(1)))
                        .transformJobArn());

        assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
        assertThat(client.getObjectAsBytes(r -> r.bucket("data").key("out/day-1.csv.out"))
                        .asUtf8String())
                .matches("Adelie,0\\.\\d+\nGentoo,0\\.\\d+\n");
        assertThat(client.getObjectAsBytes(r -> r.bucket("data").key("out/day-2.csv.out"))
                        .asUtf8String())
                .startsWith("Chinstrap,");
    }

    @Test
    void capturedRequestsAndResponsesAreUploadedToABucketInSageMakersLayout() throws Exception {
        client.createBucket(b -> b.bucket("captures"));
        tandem.sageMaker().createModel(r -> r.modelName("captured").primaryContainer(c -> c.image("builtin:identity")));
        tandem.sageMaker().createEndpointConfig(r -> r.endpointConfigName("captured")
                .productionVariants(ProductionVariant.builder()
                        .variantName("AllTraffic")
                        .modelName("captured")
                        .initialInstanceCount(1)
                        .instanceType("ml.m5.large")
                        .build())
                .dataCaptureConfig(d -> d.enableCapture(true)
                        .initialSamplingPercentage(100)
                        .destinationS3Uri("s3://captures/monitoring")
                        .captureOptions(
                                CaptureOption.builder()
                                        .captureMode(CaptureMode.INPUT)
                                        .build(),
                                CaptureOption.builder()
                                        .captureMode(CaptureMode.OUTPUT)
                                        .build())
                        .captureContentTypeHeader(h -> h.csvContentTypes("text/csv"))));
        tandem.sageMaker().createEndpoint(r -> r.endpointName("captured").endpointConfigName("captured"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!tandem.sageMaker()
                .describeEndpoint(r -> r.endpointName("captured"))
                .endpointStatusAsString()
                .equals("InService")) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(50));
        }
        for (int i = 0; i < 3; i++) {
            tandem.invoke("captured", "row-" + i, "Content-Type", "text/csv");
        }

        List<String> lines = new java.util.ArrayList<>();
        while (lines.size() < 3) {
            assertThat(System.nanoTime())
                    .as("captures uploaded")
                    .isLessThan(deadline + Duration.ofSeconds(30).toNanos());
            lines.clear();
            for (var object : client.listObjectsV2(r -> r.bucket("captures").prefix("monitoring/captured/AllTraffic/"))
                    .contents()) {
                if (object.key().endsWith("/")) {
                    continue; // S3Proxy's folder markers
                }
                if (object.key().matches(".+\\.jsonl-[0-9a-f-]{36}")) {
                    // An upload still in progress: S3Proxy's file system store writes an object to
                    // "<key>-<uuid>" and then moves it to its key, and lists it in between.
                    continue;
                }
                assertThat(object.key())
                        .matches("monitoring/captured/AllTraffic/\\d{4}/\\d{2}/\\d{2}/\\d{2}/.+\\.jsonl");
                lines.addAll(client.getObjectAsBytes(r -> r.bucket("captures").key(object.key()))
                        .asUtf8String()
                        .lines()
                        .toList());
            }
            TandemFixture.sleep(Duration.ofMillis(200));
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(lines)
                .extracting(line -> json.readTree(line)
                        .at("/captureData/endpointInput/data")
                        .asText())
                .containsExactlyInAnyOrder("row-0", "row-1", "row-2");
    }

    private static String penguins(String name) {
        return """
                {"ModelName": "%s", "Containers": [
                  {"ContainerHostname": "features", "Image": "builtin:transform",
                   "ModelDataUrl": "s3://models/penguins/transform.tar.gz"},
                  {"ContainerHostname": "xgboost", "Image": "builtin:xgboost",
                   "ModelDataUrl": "s3://models/penguins/xgboost.tar.gz"},
                  {"ContainerHostname": "species", "Image": "builtin:postprocess",
                   "Environment": {"TANDEM_LABELS": "Adelie,Chinstrap,Gentoo"}}]}
                """
                .formatted(name);
    }
}
