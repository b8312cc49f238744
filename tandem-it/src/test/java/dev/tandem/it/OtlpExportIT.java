package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.tracing.Tracing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traces leave the server as the OTEL_* variables say: OTLP over HTTP to a collector — here a
 * receiver on loopback that records what it is sent.
 */
class OtlpExportIT {
    @TempDir
    Path workDir;

    private record Received(String path, String contentType, int bytes) {}

    @Test
    void spansAreExportedOverOtlpToTheConfiguredCollector() throws Exception {
        Vertx vertx = Vertx.vertx();
        List<Received> received = new CopyOnWriteArrayList<>();
        HttpServer collector = vertx.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(body -> {
                    received.add(new Received(request.path(), request.getHeader("Content-Type"), body.length()));
                    request.response().setStatusCode(200).end();
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        try {
            Tracing tracing = Tracing.fromEnvironment(Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.actualPort(),
                    "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                    "OTEL_BSP_SCHEDULE_DELAY", "100"));
            assertThat(tracing.enabled()).isTrue();
            try (TandemFixture tandem = TandemFixture.start(workDir, UnaryOperator.identity(), tracing)) {
                tandem.deployAndAwait(
                        """
                        {"ModelName": "exported", "PrimaryContainer": {"Image": "builtin:identity"}}
                        """);
                assertThat(tandem.invoke("exported", "x").statusCode()).isEqualTo(200);

                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (received.isEmpty() && System.nanoTime() < deadline) {
                    TandemFixture.sleep(Duration.ofMillis(50));
                }
            }
            assertThat(received).isNotEmpty();
            assertThat(received.get(0).path()).isEqualTo("/v1/traces");
            assertThat(received.get(0).contentType()).isEqualTo("application/x-protobuf");
            assertThat(received.get(0).bytes()).isPositive();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertThat(Tracing.fromEnvironment(Map.of()).enabled()).isFalse();
        assertThat(Tracing.fromEnvironment(Map.of("OTEL_TRACES_EXPORTER", "none"))
                        .enabled())
                .isFalse();
    }
}
