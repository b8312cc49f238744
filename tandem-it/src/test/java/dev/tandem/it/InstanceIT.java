package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tandem instance}: a whole pipeline served as one SageMaker container — what each pod runs
 * when Tandem runs on Kubernetes.
 */
class InstanceIT {
    private static final Pattern LISTENING =
            Pattern.compile("Instance of (\\S+): POST http://127.0.0.1:(\\d+)/invocations");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path workDir;

    @Test
    void servesItsPipelineOverTheContainerContractAndNothingElse() throws Exception {
        TandemFixture.writeContainerScript(workDir.resolve("container"));
        Path pipeline = workDir.resolve("pipeline.json");
        Files.writeString(
                pipeline,
                """
                {"ModelName": "chained", "Containers": [
                  {"ContainerHostname": "first", "Image": "builtin:identity"},
                  {"ContainerHostname": "second", "Image": "exec:%s", "Environment": {"TAG": "t"}}]}
                """
                        .formatted(workDir.resolve("container")));
        try (CliProcess instance = CliProcess.start(List.of(
                "instance",
                pipeline.toString(),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                workDir.resolve("data").toString()))) {
            Matcher listening = instance.awaitStderr(LISTENING, Duration.ofSeconds(60));
            assertThat(listening.group(1)).isEqualTo("chained");
            URI base = URI.create("http://127.0.0.1:" + listening.group(2));

            // Unhealthy (503) until every container is, then healthy: what a readiness probe reads.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int ping;
            do {
                ping = send(HttpRequest.newBuilder(base.resolve("/ping")).GET()).statusCode();
                assertThat(ping).isIn(200, 503);
                TandemFixture.sleep(Duration.ofMillis(50));
            } while (ping != 200 && System.nanoTime() < deadline);
            assertThat(ping).isEqualTo(200);

            HttpResponse<String> answer = send(HttpRequest.newBuilder(base.resolve("/invocations"))
                    .header("Content-Type", "text/csv")
                    .POST(HttpRequest.BodyPublishers.ofString("1,2")));
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).startsWith("1,2>t(ct=text/csv");
            assertThat(answer.headers().firstValue("Server-Timing").orElseThrow())
                    .contains("first;dur=", "second;dur=");

            // No control plane and no other endpoint: whoever reaches an instance can only invoke it.
            HttpResponse<String> controlPlane = send(HttpRequest.newBuilder(base.resolve("/"))
                    .header("X-Amz-Target", "SageMaker.ListEndpoints")
                    .header("Content-Type", "application/x-amz-json-1.1")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")));
            assertThat(controlPlane.statusCode()).isEqualTo(404);
            assertThat(controlPlane.body()).contains("instance of endpoint chained: POST /invocations, GET /ping");
            HttpResponse<String> byName = send(HttpRequest.newBuilder(base.resolve("/endpoints/chained/invocations"))
                    .POST(HttpRequest.BodyPublishers.ofString("1,2")));
            assertThat(byName.statusCode()).isEqualTo(404);

            // SIGTERM: the instance stops, and its container with it.
            List<ProcessHandle> children = instance.process().descendants().toList();
            assertThat(children).isNotEmpty();
            instance.process().destroy();
            assertThat(instance.awaitExit(Duration.ofSeconds(60))).isIn(0, 143);
            for (ProcessHandle child : children) {
                child.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(child.isAlive()).isFalse();
            }
        }
    }

    @Test
    void aPipelineFileThatIsNotValidIsRefusedBeforeAnythingStarts() throws IOException {
        Path pipeline = workDir.resolve("broken.json");
        Files.writeString(pipeline, "{\"ModelName\": \"x\", \"Containers\": []}");
        CliProcess instance = CliProcess.run(List.of("instance", pipeline.toString(), "--port", "0"));

        assertThat(instance.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(instance.stderr()).startsWith("error: ");
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
