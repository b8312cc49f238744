package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.TandemFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.CaptureMode;
import software.amazon.awssdk.services.sagemaker.model.CaptureOption;
import software.amazon.awssdk.services.sagemaker.model.DataCaptureConfig;
import software.amazon.awssdk.services.sagemaker.model.EndpointStatus;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;

/** DataCaptureConfig: sampled requests and responses written as SageMaker capture records. */
class DataCaptureIT {
    @TempDir
    Path workDir;

    private static DataCaptureConfig capture(String destination, int percentage) {
        return DataCaptureConfig.builder()
                .enableCapture(true)
                .initialSamplingPercentage(percentage)
                .destinationS3Uri(destination)
                .captureOptions(
                        CaptureOption.builder().captureMode(CaptureMode.INPUT).build(),
                        CaptureOption.builder().captureMode(CaptureMode.OUTPUT).build())
                .captureContentTypeHeader(h -> h.csvContentTypes("text/csv"))
                .build();
    }

    private static ProductionVariant variant(String name) {
        return ProductionVariant.builder()
                .variantName(name)
                .modelName("identity")
                .initialInstanceCount(1)
                .instanceType("ml.m5.large")
                .build();
    }

    private static void deploy(SageMakerClient sm, String name, DataCaptureConfig capture) {
        sm.createEndpointConfig(r -> r.endpointConfigName(name)
                .productionVariants(variant("AllTraffic"))
                .dataCaptureConfig(capture));
        sm.createEndpoint(r -> r.endpointName(name).endpointConfigName(name));
        for (int i = 0;
                i < 100 && sm.describeEndpoint(r -> r.endpointName(name)).endpointStatus() != EndpointStatus.IN_SERVICE;
                i++) {
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    private static List<JsonNode> records(Path folder, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<JsonNode> records = new ArrayList<>();
            if (Files.exists(folder)) {
                try (Stream<Path> files = Files.walk(folder)) {
                    for (Path file :
                            files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
                        for (String line : Files.readAllLines(file)) {
                            records.add(new ObjectMapper().readTree(line));
                        }
                    }
                }
            }
            if (records.size() >= expected || System.nanoTime() > deadline) {
                return records;
            }
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    @Test
    void capturesInputAndOutputInSageMakersLayout() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            sm.createModel(r -> r.modelName("identity").primaryContainer(c -> c.image("builtin:identity")));
            Path destination = workDir.resolve("capture");
            deploy(sm, "captured", capture("file:" + destination, 100));

            for (int i = 0; i < 3; i++) {
                tandem.sdk().invokeEndpoint(r -> r.endpointName("captured")
                        .contentType("text/csv")
                        .body(SdkBytes.fromUtf8String("1,2,3")));
            }
            tandem.sdk().invokeEndpoint(r -> r.endpointName("captured")
                    .contentType("application/octet-stream")
                    .inferenceId("order-4711")
                    .body(SdkBytes.fromByteArray(new byte[] {0, 1, 2})));
            // Text that JSON must escape, and characters beyond ASCII.
            String awkward = "name,\"quoted\"\n\tcafé,€5\\";
            tandem.sdk()
                    .invokeEndpoint(r ->
                            r.endpointName("captured").contentType("text/csv").body(SdkBytes.fromUtf8String(awkward)));

            List<JsonNode> records = records(destination.resolve("captured/AllTraffic"), 5);
            assertThat(records).hasSize(5);
            assertThat(records.get(4)
                            .path("captureData")
                            .path("endpointInput")
                            .path("data")
                            .asText())
                    .isEqualTo(awkward);
            assertThat(records.get(4)
                            .path("captureData")
                            .path("endpointOutput")
                            .path("data")
                            .asText())
                    .isEqualTo(awkward);
            JsonNode csv = records.get(0);
            assertThat(csv.path("captureData")
                            .path("endpointInput")
                            .path("observedContentType")
                            .asText())
                    .isEqualTo("text/csv");
            assertThat(csv.path("captureData")
                            .path("endpointInput")
                            .path("mode")
                            .asText())
                    .isEqualTo("INPUT");
            assertThat(csv.path("captureData")
                            .path("endpointInput")
                            .path("data")
                            .asText())
                    .isEqualTo("1,2,3");
            assertThat(csv.path("captureData")
                            .path("endpointInput")
                            .path("encoding")
                            .asText())
                    .isEqualTo("CSV");
            assertThat(csv.path("captureData")
                            .path("endpointOutput")
                            .path("mode")
                            .asText())
                    .isEqualTo("OUTPUT");
            assertThat(csv.path("eventMetadata").path("eventId").asText()).isNotBlank();
            // To the second, as SageMaker writes it.
            assertThat(csv.path("eventMetadata").path("inferenceTime").asText())
                    .matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");
            assertThat(csv.path("eventVersion").asText()).isEqualTo("0");
            assertThat(csv.path("eventMetadata").has("inferenceId")).isFalse();
            JsonNode binary = records.get(3);
            assertThat(binary.path("eventMetadata").path("inferenceId").asText())
                    .isEqualTo("order-4711");
            assertThat(binary.path("captureData")
                            .path("endpointInput")
                            .path("encoding")
                            .asText())
                    .isEqualTo("BASE64");
            assertThat(Base64.getDecoder()
                            .decode(binary.path("captureData")
                                    .path("endpointInput")
                                    .path("data")
                                    .asText()))
                    .containsExactly(0, 1, 2);
            try (Stream<Path> hours = Files.walk(destination.resolve("captured/AllTraffic"))) {
                assertThat(hours.filter(Files::isRegularFile)
                                .findFirst()
                                .orElseThrow()
                                .toString())
                        .matches(".*/captured/AllTraffic/\\d{4}/\\d{2}/\\d{2}/\\d{2}/capture-.*\\.jsonl");
            }
            assertThat(tandem.invoke("captured", "x").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void zeroPercentCapturesNothingAndAnUnknownDestinationIsRefused() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            SageMakerClient sm = tandem.sageMaker();
            sm.createModel(r -> r.modelName("identity").primaryContainer(c -> c.image("builtin:identity")));
            Path destination = workDir.resolve("none");
            deploy(sm, "quiet", capture("file:" + destination, 0));
            for (int i = 0; i < 20; i++) {
                tandem.sdk()
                        .invokeEndpoint(r ->
                                r.endpointName("quiet").contentType("text/csv").body(SdkBytes.fromUtf8String("1")));
            }
            TandemFixture.sleep(Duration.ofMillis(500));

            assertThat(destination).doesNotExist();
            assertThatThrownBy(() -> sm.createEndpointConfig(r -> r.endpointConfigName("https")
                            .productionVariants(variant("A"))
                            .dataCaptureConfig(capture("https://example.com/capture", 100))))
                    .hasMessageContaining("must be an s3://bucket/prefix or a file:/absolute/path location");
        }
    }
}
