package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's own stage, as the README tells users to make one: built into a jar by the example's
 * script, served with {@code tandem serve --stage-path JAR}, and chained before built-in stages.
 */
class CustomStageExampleIT {
    private static final Path EXAMPLE = CliProcess.repositoryRoot().resolve("examples/custom-stage");
    private static final Pattern ENDPOINT_LINE = Pattern.compile(
            "Endpoint private-embeddings: POST (http://127\\.0\\.0\\.1:\\d+)/endpoints/private-embeddings/invocations");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path workDir;

    @Test
    void aStageFromAJarOnTheStagePathRedactsTextBeforeTheModelSeesIt() throws Exception {
        Process build = new ProcessBuilder("bash", EXAMPLE.resolve("build").toString())
                .redirectErrorStream(true)
                .start();
        String buildOutput = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(build.exitValue()).as(buildOutput).isZero();

        try (CliProcess serve = CliProcess.start(List.of(
                "serve",
                "--port",
                "0",
                "--data-dir",
                workDir.resolve("data").toString(),
                "--stage-path",
                EXAMPLE.resolve("target/redact-stage.jar").toString(),
                EXAMPLE.resolve("pipeline.json").toString()))) {
            String url =
                    serve.awaitStderr(ENDPOINT_LINE, Duration.ofSeconds(60)).group(1);
            HttpResponse<String> response = awaitAnswer(
                    url,
                    "{\"instances\": [\"Write to jane.doe@example.com today\", \"Write to [EMAIL] today\","
                            + " \"Write to john@example.org today\"]}",
                    "application/json");

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode vectors = JSON.readTree(response.body()).get("predictions");
            assertThat(vectors.get(0)).isEqualTo(vectors.get(1)).isEqualTo(vectors.get(2));
            assertThat(response.headers().firstValue("X-Tandem-Stages").orElseThrow())
                    .contains("redact;", "type=\"application/json\"");

            HttpResponse<String> refused = post(url, "a,b", "text/csv");
            assertThat(refused.statusCode()).isEqualTo(424);
            assertThat(refused.body()).contains("from redact", "builtin:redact accepts text/plain, application/json");
        }
    }

    private HttpResponse<String> awaitAnswer(String url, String body, String contentType) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            HttpResponse<String> response = post(url, body, contentType);
            if (response.statusCode() != 429) {
                return response;
            }
            assertThat(System.nanoTime()).as("endpoint in service").isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(100));
        }
    }

    private HttpResponse<String> post(String url, String body, String contentType) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url + "/endpoints/private-embeddings/invocations"))
                        .header("Content-Type", contentType)
                        .header("X-Tandem-Debug", "stages")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
