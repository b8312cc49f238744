package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.runtime.oci.ContainerEngine;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tandem's own image, as {@code image/build} makes it — FROM scratch, a jlinked Java runtime, the
 * shared libraries, the jar — run by Podman (or Docker) as a Kubernetes pod would run it: {@code
 * tandem instance} serving the penguins example, whose XGBoost stage loads its native library
 * inside the image. Skipped where no engine is installed, unless {@code TANDEM_REQUIRE_OCI} is set
 * (CI).
 */
class TandemImageIT {
    private static final String IMAGE = "localhost/tandem:it";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void theImageServesAPipelineWithANativeModelStageAsAnInstance() throws Exception {
        Optional<ContainerEngine> found = ContainerEngine.detect(System.getenv());
        assumeTrue(System.getenv("TANDEM_REQUIRE_OCI") != null || found.isPresent(), "no Podman or Docker here");
        String engine = found.orElseThrow(() -> new AssertionError("TANDEM_REQUIRE_OCI is set but no engine was found"))
                .binary();
        Path root = CliProcess.repositoryRoot();
        assertThat(run(List.of(root.resolve("image/build").toString(), IMAGE), Duration.ofMinutes(10)))
                .isEqualTo(IMAGE);
        assertThat(run(List.of(engine, "run", "--rm", IMAGE, "--version"), Duration.ofMinutes(1)))
                .startsWith("tandem ");

        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        String container = run(
                List.of(
                        engine,
                        "run",
                        "-d",
                        "--rm",
                        "--network",
                        "host",
                        "-v",
                        root.resolve("examples/penguins") + ":/srv/penguins:ro",
                        IMAGE,
                        "instance",
                        "/srv/penguins/pipeline.json",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--data-dir",
                        "/tmp/tandem"),
                Duration.ofMinutes(1));
        try {
            URI base = URI.create("http://127.0.0.1:" + port);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            int ping = -1;
            while (ping != 200 && System.nanoTime() < deadline) {
                try {
                    ping = HTTP.send(
                                    HttpRequest.newBuilder(base.resolve("/ping"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode();
                } catch (IOException notYet) {
                    // Not listening yet.
                }
                TandemFixture.sleep(Duration.ofMillis(100));
            }
            assertThat(ping)
                    .as("the instance in the image became ready; its log:\n%s", logs(engine, container))
                    .isEqualTo(200);

            HttpResponse<String> answer = HTTP.send(
                    HttpRequest.newBuilder(base.resolve("/invocations"))
                            .header("Content-Type", "text/csv")
                            .header("Accept", "text/csv")
                            .POST(HttpRequest.BodyPublishers.ofString("Biscoe,50.0,15.2,218,5700,male,2009"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).matches("Gentoo,0\\.\\d+\n");
            assertThat(answer.headers().firstValue("Server-Timing").orElseThrow())
                    .contains("features;dur=", "xgboost;dur=", "species;dur=");
        } finally {
            run(List.of(engine, "rm", "-f", container), Duration.ofMinutes(1));
        }
    }

    private static String logs(String engine, String container) {
        try {
            return run(List.of(engine, "logs", container), Duration.ofSeconds(30));
        } catch (IOException | InterruptedException | AssertionError e) {
            return "(no log: " + e + ")";
        }
    }

    /** Runs {@code command} and returns the last line of its output; fails on a non-zero exit. */
    private static String run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(new ArrayList<>(command))
                .directory(CliProcess.repositoryRoot().toFile())
                .redirectErrorStream(true)
                .start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within " + timeout);
        }
        String text = new String(output, StandardCharsets.UTF_8).strip();
        assertThat(process.exitValue()).as(command + ":\n" + text).isZero();
        List<String> lines = text.lines().toList();
        return lines.isEmpty() ? "" : lines.getLast();
    }
}
