package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./tandem serve} stopped with SIGTERM while requests are in flight: it answers them first. */
class GracefulShutdownIT {
    private static final Pattern URL_LINE = Pattern.compile("Endpoint slow: POST (http://127\\.0\\.0\\.1:\\d+)/");

    @TempDir
    Path workDir;

    @Test
    void sigtermAnswersTheRequestsInFlightBeforeTheServerExits() throws Exception {
        TandemFixture.writeContainerScript(workDir.resolve("test-container"));
        Path pipeline = Files.writeString(
                workDir.resolve("slow.json"),
                "{\"ModelName\": \"slow\", \"PrimaryContainer\": {\"Image\": \"exec:test-container\","
                        // The test container serves each request on a thread of its own: many at once.
                        + " \"Environment\": {\"SLEEP_MS\": \"1000\", \"TAG\": \"s\","
                        + " \"TANDEM_MAX_IN_FLIGHT\": \"16\"}}}");
        try (CliProcess serve = CliProcess.start(List.of(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        workDir.resolve("data").toString(),
                        pipeline.toString()));
                HttpClient http = HttpClient.newHttpClient()) {
            URI url = URI.create(
                    serve.awaitStderr(URL_LINE, Duration.ofSeconds(60)).group(1));
            awaitInService(http, url);
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                inFlight.add(http.sendAsync(
                        HttpRequest.newBuilder(url.resolve("/endpoints/slow/invocations"))
                                .POST(HttpRequest.BodyPublishers.ofString("request-" + i))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            TandemFixture.sleep(Duration.ofMillis(300));

            serve.process().destroy(); // SIGTERM

            for (int i = 0; i < inFlight.size(); i++) {
                HttpResponse<String> response = inFlight.get(i).get();
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                assertThat(response.body()).startsWith("request-" + i + ">s(");
            }
            assertThat(serve.awaitExit(Duration.ofSeconds(40))).isNotNegative();
        }
    }

    private static void awaitInService(HttpClient http, URI url) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (http.send(
                                HttpRequest.newBuilder(url.resolve("/endpoints/slow/invocations"))
                                        .POST(HttpRequest.BodyPublishers.ofString("ping"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode()
                != 200) {
            assertThat(System.nanoTime()).as("slow is in service").isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(100));
        }
    }
}
