package dev.tandem.server.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCaptureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    @Test
    void binaryBodiesOfEverySizeComeBackFromTheirBase64() throws Exception {
        // Sizes around base64's 3-byte groups, and past the writer's reused buffer (4 KB) and
        // past the size it keeps (1 MB), in an order that grows, keeps, lets go and grows again.
        int[] sizes = {0, 1, 2, 3, 4, 5, 511, 512, 3071, 3072, 3073, 10_000, 7, 2_000_000, 100, 65_536};
        Random random = new Random(17);
        List<byte[]> inputs = new ArrayList<>();
        List<byte[]> outputs = new ArrayList<>();
        try (DataCapture capture = new DataCapture(
                1000,
                new ObjectStore(S3Settings.fromEnvironment(Map.of())),
                folder.resolve("staging"),
                Duration.ofHours(1))) {
            capture.configure("ep", settings(folder.resolve("captured")));
            for (int size : sizes) {
                byte[] input = new byte[size];
                random.nextBytes(input);
                byte[] output = new byte[size / 2 + 1];
                random.nextBytes(output);
                inputs.add(input);
                outputs.add(output);
                capture.offer(
                        "ep",
                        "AllTraffic",
                        "event-" + inputs.size(),
                        null,
                        "application/octet-stream",
                        Payload.wrap(input),
                        "image/png",
                        Payload.wrap(output));
            }
        }

        List<JsonNode> records = records(folder.resolve("captured"));
        assertThat(records).hasSize(sizes.length);
        for (int i = 0; i < sizes.length; i++) {
            JsonNode data = records.get(i).path("captureData");
            assertThat(data.path("endpointInput").path("encoding").asText()).isEqualTo("BASE64");
            assertThat(Base64.getDecoder()
                            .decode(data.path("endpointInput").path("data").asText()))
                    .as("input of %d bytes", sizes[i])
                    .isEqualTo(inputs.get(i));
            assertThat(Base64.getDecoder()
                            .decode(data.path("endpointOutput").path("data").asText()))
                    .as("output of %d bytes", outputs.get(i).length)
                    .isEqualTo(outputs.get(i));
            assertThat(records.get(i).path("eventMetadata").path("eventId").asText())
                    .isEqualTo("event-" + (i + 1));
        }
    }

    @Test
    void aRecordOfferedToAnIdleWriterIsWrittenAtOnce() throws Exception {
        try (DataCapture capture = capture()) {
            capture.configure("ep", settings(folder.resolve("captured")));
            // Long enough for the writer to find nothing and go to sleep until a record wakes it.
            Thread.sleep(300);
            for (int i = 1; i <= 3; i++) {
                offerText(capture, "ep", "event-" + i, "{\"n\": " + i + "}");
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (capture.written() < i && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(capture.written())
                        .as("records written after offering %d", i)
                        .isEqualTo(i);
                Thread.sleep(100);
            }
        }
    }

    @Test
    void aNewDestinationTakesTheNextRecordAndTheLinesStayWhole() throws Exception {
        try (DataCapture capture = capture()) {
            capture.configure("ep", settings(folder.resolve("first")));
            offerText(capture, "ep", "event-1", "{\"quoted\": \"a \\\" b\"}");
            offerText(capture, "ep", "event-2", "plain text, with a comma");
            awaitWritten(capture, 2);
            capture.configure("ep", settings(folder.resolve("second")));
            offerText(capture, "ep", "event-3", "[1, 2, 3]");
            awaitWritten(capture, 3);
        }

        List<JsonNode> first = records(folder.resolve("first"));
        assertThat(first)
                .extracting(r -> r.path("eventMetadata").path("eventId").asText())
                .containsExactly("event-1", "event-2");
        assertThat(first)
                .extracting(r ->
                        r.path("captureData").path("endpointInput").path("data").asText())
                .containsExactly("{\"quoted\": \"a \\\" b\"}", "plain text, with a comma");
        assertThat(records(folder.resolve("second")))
                .extracting(r -> r.path("eventMetadata").path("eventId").asText())
                .containsExactly("event-3");
    }

    @Test
    void aContentTypeIsWrittenAsItCameAndEncodedByItsMediaType() throws Exception {
        // Parameters and case do not change the encoding; a type with characters JSON escapes
        // stays one valid line, however many records carry it (each type is escaped once).
        String[] types = {
            "text/CSV; charset=utf-8", "Application/Json", "application/json; q=\"x\\y\"", "image/png", "text/csv"
        };
        String[] encodings = {"CSV", "JSON", "JSON", "BASE64", "CSV"};
        try (DataCapture capture = capture()) {
            capture.configure("ep", settings(folder.resolve("types")));
            for (int round = 0; round < 2; round++) {
                for (String type : types) {
                    Payload body = Payload.wrap("1,2".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    capture.offer("ep", "AllTraffic", "e", null, type, body, null, body);
                }
            }
            awaitWritten(capture, 2L * types.length);
        }
        List<JsonNode> records = records(folder.resolve("types"));
        assertThat(records).hasSize(2 * types.length);
        for (int i = 0; i < records.size(); i++) {
            JsonNode input = records.get(i).path("captureData").path("endpointInput");
            assertThat(input.path("observedContentType").asText()).isEqualTo(types[i % types.length]);
            assertThat(input.path("encoding").asText())
                    .as(types[i % types.length])
                    .isEqualTo(encodings[i % types.length]);
            JsonNode output = records.get(i).path("captureData").path("endpointOutput");
            assertThat(output.path("observedContentType").asText()).isEmpty();
            assertThat(output.path("encoding").asText()).isEqualTo("BASE64");
        }
    }

    @Test
    void aRecordIsSageMakersLineWithItsFieldsInOrderAndTheTimeToTheSecond() throws Exception {
        long before = Instant.now().getEpochSecond();
        try (DataCapture capture = capture()) {
            capture.configure("ep", settings(folder.resolve("captured")));
            capture.offer(
                    "ep",
                    "AllTraffic",
                    "event-1",
                    "order \"7\"",
                    "text/csv",
                    Payload.utf8("1,2"),
                    "application/json",
                    Payload.utf8("{\"score\": 0.5}"));
            capture.offer(
                    "ep",
                    "AllTraffic",
                    "event-2",
                    null,
                    "application/octet-stream",
                    Payload.utf8("x"),
                    null,
                    Payload.empty());
            awaitWritten(capture, 2);
        }
        long after = Instant.now().getEpochSecond();

        List<String> lines;
        try (Stream<Path> files = Files.walk(folder.resolve("captured"))) {
            Path file = files.filter(Files::isRegularFile).findFirst().orElseThrow();
            lines = Files.readAllLines(file);
        }
        assertThat(lines).hasSize(2);
        String time = "\"inferenceTime\":\"(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z)\"";
        assertThat(lines.get(0))
                .matches(Pattern.quote("{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\","
                                + "\"mode\":\"INPUT\",\"data\":\"1,2\",\"encoding\":\"CSV\"},"
                                + "\"endpointOutput\":{\"observedContentType\":\"application/json\",\"mode\":\"OUTPUT\","
                                + "\"data\":\"{\\\"score\\\": 0.5}\",\"encoding\":\"JSON\"}},"
                                + "\"eventMetadata\":{\"eventId\":\"event-1\",\"inferenceId\":\"order \\\"7\\\"\",")
                        + time
                        + Pattern.quote("},\"eventVersion\":\"0\"}"));
        assertThat(lines.get(1))
                .matches(Pattern.quote("{\"captureData\":{\"endpointInput\":{\"observedContentType\":"
                                + "\"application/octet-stream\",\"mode\":\"INPUT\",\"data\":\"eA==\",\"encoding\":\"BASE64\"},"
                                + "\"endpointOutput\":{\"observedContentType\":\"\",\"mode\":\"OUTPUT\",\"data\":\"\","
                                + "\"encoding\":\"BASE64\"}},\"eventMetadata\":{\"eventId\":\"event-2\",")
                        + time
                        + Pattern.quote("},\"eventVersion\":\"0\"}"));
        for (String line : lines) {
            Matcher written = Pattern.compile(time).matcher(line);
            assertThat(written.find()).isTrue();
            assertThat(Instant.parse(written.group(1)).getEpochSecond()).isBetween(before, after);
        }
    }

    private DataCapture capture() {
        return new DataCapture(
                1000,
                new ObjectStore(S3Settings.fromEnvironment(Map.of())),
                folder.resolve("staging"),
                Duration.ofHours(1));
    }

    private static void offerText(DataCapture capture, String endpoint, String eventId, String body) {
        Payload payload = Payload.wrap(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        capture.offer(endpoint, "AllTraffic", eventId, null, "application/json", payload, "application/json", payload);
    }

    private static void awaitWritten(DataCapture capture, long records) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (capture.written() < records && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(capture.written()).isEqualTo(records);
    }

    private static CaptureSettings settings(Path destination) {
        return new CaptureSettings(100, true, true, destination, null, Set.of("text/csv"), Set.of("application/json"));
    }

    private static List<JsonNode> records(Path root) throws IOException {
        List<JsonNode> records = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                for (String line : Files.readAllLines(file)) {
                    records.add(JSON.readTree(line));
                }
            }
        }
        return records;
    }
}
