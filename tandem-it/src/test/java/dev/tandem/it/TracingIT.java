package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.tracing.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Traces of invocations, caught by an in-memory exporter: the span tree and the propagated context. */
class TracingIT {
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CLIENT_TRACEPARENT = "00-" + TRACE + "-b7ad6b7169203331-01";

    @TempDir
    static Path workDir;

    static InMemorySpanExporter spans = InMemorySpanExporter.create();
    static TandemFixture tandem;

    @BeforeAll
    static void start() {
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(spans))
                        .build())
                .build();
        tandem = TandemFixture.start(workDir, UnaryOperator.identity(), Tracing.with(otel));
        tandem.deployAndAwait(
                """
                {"ModelName": "traced", "Containers": [
                  {"ContainerHostname": "first", "Image": "exec:test-container"},
                  {"ContainerHostname": "middle", "Image": "builtin:identity"},
                  {"ContainerHostname": "last", "Image": "exec:test-container", "Environment": {"BEHAVIOUR": "headers"}}]}
                """);
        tandem.deployAndAwait(
                """
                {"ModelName": "streaming", "Containers": [
                  {"ContainerHostname": "pre", "Image": "builtin:identity"},
                  {"ContainerHostname": "talker", "Image": "exec:test-container",
                   "Environment": {"BEHAVIOUR": "stream", "STREAM_PARTS": "3", "STREAM_INTERVAL_MS": "150"}}]}
                """);
        tandem.deployAndAwait(
                """
                {"ModelName": "failing", "Containers": [
                  {"ContainerHostname": "ok", "Image": "builtin:identity"},
                  {"ContainerHostname": "broken", "Image": "exec:test-container",
                   "Environment": {"BEHAVIOUR": "fail", "FAIL_STATUS": "503"}}]}
                """);
    }

    @AfterAll
    static void stop() {
        tandem.close();
    }

    private static List<SpanData> awaitSpans(String traceId, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<SpanData> found = spans.getFinishedSpanItems().stream()
                    .filter(s -> s.getTraceId().equals(traceId))
                    .toList();
            if (found.size() >= count || System.nanoTime() > deadline) {
                return found;
            }
            TandemFixture.sleep(Duration.ofMillis(10));
        }
    }

    @Test
    void aStreamingStagesSpanLastsUntilItsStreamEndsAndHoldsNothingBack() throws Exception {
        String trace = "1af7651916cd43dd8448eb211c80319c";
        long start = System.nanoTime();
        HttpResponse<InputStream> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        tandem.baseUrl().resolve("/endpoints/streaming/invocations-response-stream"))
                                .header("traceparent", "00-" + trace + "-b7ad6b7169203331-01")
                                .POST(HttpRequest.BodyPublishers.ofString("x"))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        long firstPart;
        try (InputStream in = response.body()) {
            assertThat(in.read()).isNotNegative();
            firstPart = System.nanoTime() - start;
            in.readAllBytes();
        }
        long total = System.nanoTime() - start;
        // Tracing does not hold the stream back: its first part comes well before its last.
        assertThat(total - firstPart).isGreaterThan(Duration.ofMillis(300).toNanos());

        List<SpanData> found = awaitSpans(trace, 3);
        SpanData talker = found.stream()
                .filter(s -> s.getName().equals("container talker"))
                .findFirst()
                .orElseThrow();
        SpanData server = found.stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        // The streaming container's span covers its three parts, 150 ms apart, not just its first.
        assertThat(talker.getEndEpochNanos() - talker.getStartEpochNanos())
                .isGreaterThan(Duration.ofMillis(400).toNanos());
        assertThat(server.getEndEpochNanos()).isGreaterThanOrEqualTo(talker.getEndEpochNanos());
        assertThat(found).extracting(SpanData::getName).contains("container pre");
    }

    @Test
    void aServerSpanWithAChildPerContainerJoinsTheClientsTrace() {
        HttpResponse<String> response = tandem.invoke("traced", "x", "traceparent", CLIENT_TRACEPARENT);

        assertThat(response.statusCode()).isEqualTo(200);
        List<SpanData> trace = awaitSpans(TRACE, 4);
        SpanData server = trace.stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        assertThat(server.getName()).isEqualTo("InvokeEndpoint traced");
        assertThat(server.getParentSpanId()).isEqualTo("b7ad6b7169203331");
        List<SpanData> children =
                trace.stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
        assertThat(children)
                .extracting(SpanData::getName)
                .containsExactlyInAnyOrder("container first", "container middle", "container last");
        assertThat(children).allSatisfy(child -> {
            assertThat(child.getParentSpanId()).isEqualTo(server.getSpanId());
            assertThat(child.getAttributes().get(AttributeKey.stringKey("sagemaker.endpoint")))
                    .isEqualTo("traced");
            assertThat(child.getAttributes().get(AttributeKey.stringKey("sagemaker.variant")))
                    .isEqualTo("AllTraffic");
            assertThat(child.getAttributes().get(AttributeKey.stringKey("sagemaker.instance")))
                    .startsWith("i-");
        });
        SpanData last = children.stream()
                .filter(s -> s.getName().equals("container last"))
                .findFirst()
                .orElseThrow();
        // The container got its own span's context, so its spans would be children of it.
        assertThat(response.body()).isEqualTo("00-" + TRACE + "-" + last.getSpanId() + "-01");
    }

    @Test
    void aFailingContainerMarksItsSpanAndTheServerSpan() {
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> response =
                tandem.invoke("failing", "x", "traceparent", "00-" + trace + "-00f067aa0ba902b7-01");

        assertThat(response.statusCode()).isEqualTo(424);
        List<SpanData> spansOfTrace = awaitSpans(trace, 3);
        SpanData broken = spansOfTrace.stream()
                .filter(s -> s.getName().equals("container broken"))
                .findFirst()
                .orElseThrow();
        assertThat(broken.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(broken.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
                .isEqualTo(503L);
        SpanData server = spansOfTrace.stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(server.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
                .isEqualTo(424L);
    }

    @Test
    void aRequestWithoutTraceparentStartsATraceOfItsOwn() {
        HttpResponse<String> response = tandem.invoke("traced", "x");

        assertThat(response.body()).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01").doesNotContain(TRACE);
    }

    @Test
    void theClientsTraceparentReachesTheContainersWhenTandemDoesNotTrace(@TempDir Path untracedDir) {
        try (TandemFixture untraced = TandemFixture.start(untracedDir, UnaryOperator.identity(), Tracing.off())) {
            untraced.deployAndAwait(
                    """
                    {"ModelName": "untraced", "Containers": [
                      {"ContainerHostname": "middle", "Image": "builtin:identity"},
                      {"ContainerHostname": "last", "Image": "exec:test-container", "Environment": {"BEHAVIOUR": "headers"}}]}
                    """);

            assertThat(untraced.invoke("untraced", "x", "traceparent", CLIENT_TRACEPARENT)
                            .body())
                    .isEqualTo(CLIENT_TRACEPARENT);
            assertThat(untraced.invoke("untraced", "x", "traceparent", "not-a-trace")
                            .body())
                    .as("a malformed traceparent is not passed on")
                    .isEqualTo("none");
            assertThat(untraced.invoke("untraced", "x").body()).isEqualTo("none");
        }
    }
}
