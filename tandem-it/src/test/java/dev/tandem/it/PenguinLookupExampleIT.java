package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feature-lookup example as a newcomer runs it: the endpoint is served first, the feature
 * group is created and filled from a CSV file with {@code ./tandem features}, and then a client
 * sends only penguin ids — {@code builtin:feature-lookup} reads their stored measurements in
 * process and the penguins model classifies them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PenguinLookupExampleIT {
    private static final Path EXAMPLE = CliProcess.repositoryRoot().resolve("examples/penguin-lookup");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path workDir;

    static TandemFixture tandem;

    @BeforeAll
    static void serveTheExample() {
        tandem = TandemFixture.start(workDir);
        tandem.deployFileAndAwait(EXAMPLE.resolve("pipeline.json"));
        tandem.deployAndAwait(
                """
                {"ModelName": "lookup-only", "PrimaryContainer": {"Image": "builtin:feature-lookup",
                 "Environment": {"TANDEM_FEATURE_GROUP": "penguins", "TANDEM_ON_MISSING": "default"}}}
                """);
    }

    @AfterAll
    static void stop() {
        tandem.close();
    }

    @Test
    @Order(1)
    void idsAloneAreClassifiedFromTheStoredFeatures() throws Exception {
        String url = tandem.baseUrl().toString();
        HttpResponse<String> before = tandem.invoke("penguin-lookup", "p-001", "Content-Type", "text/csv");
        assertThat(before.statusCode()).isEqualTo(424);
        assertThat(before.body()).contains("Feature group penguins does not exist");

        CliProcess create = CliProcess.run(List.of(
                "features",
                "create",
                "--file",
                EXAMPLE.resolve("feature-group.json").toString(),
                "--url",
                url));
        assertThat(create.awaitExit(Duration.ofSeconds(5))).as(create.stderr()).isZero();
        assertThat(create.stdout()).contains("feature-group/penguins");
        CliProcess ingest = CliProcess.run(List.of(
                "features",
                "ingest",
                "penguins",
                "--file",
                EXAMPLE.resolve("data/penguins-by-id.csv").toString(),
                "--url",
                url));
        assertThat(ingest.awaitExit(Duration.ofSeconds(5))).as(ingest.stderr()).isZero();
        assertThat(ingest.stdout()).contains("69 rows written to penguins").contains("0 failed");

        Map<String, String> species = new LinkedHashMap<>();
        for (String line :
                Files.readAllLines(EXAMPLE.resolve("data/species-by-id.csv")).subList(1, 70)) {
            species.put(line.split(",")[0], line.split(",")[1]);
        }
        HttpResponse<String> answer = tandem.invoke(
                "penguin-lookup",
                String.join("\n", species.keySet()),
                "Content-Type",
                "text/csv",
                "Accept",
                "application/json");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode predictions = JSON.readTree(answer.body()).path("predictions");
        assertThat(predictions).hasSize(69);
        int right = 0;
        int i = 0;
        for (String expected : species.values()) {
            right += predictions.get(i++).path("label").asText().equals(expected) ? 1 : 0;
        }
        assertThat(right / 69.0).as("held-out accuracy from stored features").isGreaterThan(0.9);

        HttpResponse<String> unknown = tandem.invoke("penguin-lookup", "p-001\np-999", "Content-Type", "text/csv");
        assertThat(unknown.statusCode()).isEqualTo(424);
        assertThat(unknown.body()).contains("No record in feature group penguins for p-999");
    }

    @Test
    @Order(2) // after the group is created and filled
    void jsonObjectsGetTypedFeaturesAndDefaultsStandInForMissingRecords() throws Exception {
        HttpResponse<String> answer = tandem.invoke(
                "lookup-only",
                "[{\"penguin_id\": \"p-001\", \"note\": \"kept\"}, {\"penguin_id\": \"p-999\"}]",
                "Content-Type",
                "application/json");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode rows = JSON.readTree(answer.body());
        assertThat(rows.get(0).path("note").asText()).isEqualTo("kept");
        assertThat(rows.get(0).path("bill_length_mm").isNumber()).isTrue();
        assertThat(rows.get(0).path("bill_length_mm").asDouble()).isEqualTo(39.1);
        assertThat(rows.get(0).path("year").isIntegralNumber()).isTrue();
        assertThat(rows.get(0).path("island").asText()).isEqualTo("Torgersen");
        assertThat(rows.get(0).has("observed_at"))
                .as("event time left out by default")
                .isFalse();
        assertThat(rows.get(1).path("island").isNull()).isTrue();
    }
}
