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
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
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
