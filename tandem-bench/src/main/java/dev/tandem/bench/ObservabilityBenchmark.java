package dev.tandem.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import dev.tandem.server.control.ControlPlane;
import dev.tandem.server.tracing.Tracing;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.stream.DoubleStream;

/**
 * What observing every request costs, measured from outside: wrk, in a process of its own, drives
 * four servers that differ only in what they observe —
 *
 * <ol>
 *   <li><b>off</b>: no metrics, no traces, no data capture;
 *   <li><b>metrics</b>: Tandem's default (metrics and Server-Timing);
 *   <li><b>+ traces</b>: every request traced (OpenTelemetry's batch span processor, into an exporter
 *       that drops the spans: the collector's cost is not Tandem's);
 *   <li><b>+ capture</b>: and data capture of every request and response (100%, input and output,
 *       to files).
 * </ol>
 *
 * Each serves two endpoints: three in-process identity stages (where Tandem's own cost is the whole
 * cost, so observing weighs the most) and a one-container {@code exec:} hop to a container that
 * answers in microseconds (nginx returning a constant body). Both are measured in rounds, every
 * server within the same round (every other round in the reverse order), after a warm-up that lasts
 * until the JIT has settled; each server's ratios to the unobserved one are given per round and as
 * medians over the rounds. Besides req/s
 * and latency it reports the CPU the servers' process used per request (only one server is under
 * load at a time): the figure the machine's noise disturbs least.
 *
 * <p>Options: {@code --seconds N} a run (default 10), {@code --rounds N} (default 3), {@code
 * --connections N} (default 16), {@code --payload N} bytes (default 512). Needs {@code wrk} and
 * {@code nginx} ({@code tandem-bench/run observe} installs them when missing).
 */
public final class ObservabilityBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> ENDPOINTS = List.of("identity", "hop");

    private ObservabilityBenchmark() {}

    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 10);
        int rounds = BenchmarkArgs.option(args, "--rounds", 3);
        int connections = BenchmarkArgs.option(args, "--connections", 16);
        int payload = BenchmarkArgs.option(args, "--payload", 512);
        Path work = WorkDirectory.create("tandem-observe");
        Path container = HopBenchmark.constantContainer(work.resolve("container"));
        Wrk wrk = Wrk.posting(work, payload, "application/octet-stream");
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

        Map<String, TandemServer> servers = new LinkedHashMap<>();
        try {
            servers.put("off", start(work, "off", false, Tracing.off()));
            servers.put("metrics", start(work, "metrics", true, Tracing.off()));
            servers.put("+ traces", start(work, "traces", true, discardingTracing()));
            servers.put("+ capture", start(work, "capture", true, discardingTracing()));
            for (Map.Entry<String, TandemServer> server : servers.entrySet()) {
                int capture = server.getKey().equals("+ capture") ? 100 : 0;
                deploy(server.getValue(), "identity", identityModel(), capture, work);
                deploy(server.getValue(), "hop", hopModel(container), capture, work);
            }
            // Warm-up, not reported: the JIT compiles every server's paths.
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            JitWarmup.untilSettled(
                    () -> {
                        for (TandemServer server : servers.values()) {
                            for (String endpoint : ENDPOINTS) {
                                wrk.run(url(server, endpoint), connections, Duration.ofSeconds(3));
                            }
                        }
                    },
                    () -> jit.getTotalCompilationTime() * 1_000_000L,
                    os::getProcessCpuTime,
                    10);
            System.out.printf(
                    Locale.ROOT,
                    "%d-byte POSTs from wrk at %d connections, %d s a run, %d cores; req/s (p50 / p99), CPU µs/request%n",
                    payload,
                    connections,
                    seconds,
                    Runtime.getRuntime().availableProcessors());
            for (String endpoint : ENDPOINTS) {
                System.out.printf(
                        Locale.ROOT,
                        "%n%s%n| round | observing | req/s (p50 / p99) | CPU µs/request | req/s vs off | CPU vs off |%n"
                                + "| --- | --- | --- | --- | --- | --- |%n",
                        endpoint.equals("hop")
                                ? "One exec container (nginx answering a constant body)"
                                : "Three in-process identity stages");
                Map<String, List<Ratio>> ratios = new LinkedHashMap<>();
                for (int round = 1; round <= rounds; round++) {
                    // Every other round in the reverse order: a machine that drifts within a round
                    // (this one does) then favours no server over the rounds.
                    List<Map.Entry<String, TandemServer>> order = new ArrayList<>(servers.entrySet());
                    if (round % 2 == 0) {
                        Collections.reverse(order);
                    }
                    Map<String, Measured> measuredRound = new LinkedHashMap<>();
                    for (Map.Entry<String, TandemServer> server : order) {
                        long cpuBefore = os.getProcessCpuTime();
                        Wrk.Result result =
                                wrk.run(url(server.getValue(), endpoint), connections, Duration.ofSeconds(seconds));
                        long cpuNanos = os.getProcessCpuTime() - cpuBefore;
                        measuredRound.put(
                                server.getKey(),
                                new Measured(result, cpuNanos / 1000.0 / Math.max(1, result.requests())));
                    }
                    Measured off = Objects.requireNonNull(measuredRound.get("off"));
                    for (String observing : servers.keySet()) {
                        Measured measured = Objects.requireNonNull(measuredRound.get(observing));
                        Wrk.Result result = measured.result();
                        ratios.computeIfAbsent(observing, name -> new ArrayList<>())
                                .add(new Ratio(
                                        result.perSecond() / off.result().perSecond(),
                                        measured.cpuMicros() / off.cpuMicros()));
                        System.out.printf(
                                Locale.ROOT,
                                "| %d | %s | %s | %.1f | %.2f× | %.2f× |%s%n",
                                round,
                                observing,
                                result.cell(),
                                measured.cpuMicros(),
                                result.perSecond() / off.result().perSecond(),
                                measured.cpuMicros() / off.cpuMicros(),
                                result.errors() == 0 ? "" : " errors: " + result.errors());
                    }
                }
                // Each round's ratios are of runs seconds apart; their medians are what the
                // machine's swings disturb least.
                ratios.forEach((observing, measured) -> System.out.printf(
                        Locale.ROOT,
                        "| median | %s | | | %.2f× | %.2f× |%n",
                        observing,
                        median(measured.stream().mapToDouble(Ratio::throughput)),
                        median(measured.stream().mapToDouble(Ratio::cpu))));
            }
        } finally {
            for (TandemServer server : servers.values()) {
                server.close();
            }
        }
    }

    private record Measured(Wrk.Result result, double cpuMicros) {}

    /** A server's throughput and CPU per request, each against the unobserved server's in the same round. */
    private record Ratio(double throughput, double cpu) {}

    private static double median(DoubleStream values) {
        double[] sorted = values.sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static TandemServer start(Path work, String name, boolean metrics, Tracing tracing) throws Exception {
        ServerConfig config = ServerConfig.defaults()
                .withPort(0)
                .withDataDir(Files.createDirectories(work.resolve("data-" + name)))
                .withMetrics(metrics);
        return TandemServer.start(
                config, ObservabilityBenchmark.class.getClassLoader(), UnaryOperator.identity(), tracing);
    }

    /** Every request traced, its spans batched and handed to an exporter that drops them. */
    private static Tracing discardingTracing() {
        return Tracing.with(discardingOpenTelemetry());
    }

    /**
     * OpenTelemetry that samples every span and hands them, batched, to an exporter that drops
     * them: what tracing costs Tandem, without a collector's cost. Shared with {@link
     * EngineBenchmark}.
     */
    static OpenTelemetrySdk discardingOpenTelemetry() {
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(BatchSpanProcessor.builder(SpanExporter.composite())
                                .build())
                        .build())
                .build();
    }

    private static String identityModel() {
        return """
                [{"ContainerHostname": "s1", "Image": "builtin:identity"},
                 {"ContainerHostname": "s2", "Image": "builtin:identity"},
                 {"ContainerHostname": "s3", "Image": "builtin:identity"}]""";
    }

    private static String hopModel(Path container) {
        return """
                [{"ContainerHostname": "c1", "Image": "exec:%s",
                  "Environment": {"TANDEM_MAX_IN_FLIGHT": "64"}}]"""
                .formatted(container);
    }

    /** CreateModel, CreateEndpointConfig (capturing every request when {@code capturePercent} says so), CreateEndpoint. */
    private static void deploy(TandemServer server, String name, String containers, int capturePercent, Path work)
            throws Exception {
        ControlPlane control = server.controlPlane();
        control.createModel(json("{\"ModelName\": \"%s\", \"Containers\": %s}".formatted(name, containers)));
        String capture = capturePercent == 0
                ? ""
                : """
                , "DataCaptureConfig": {"EnableCapture": true, "InitialSamplingPercentage": %d,
                   "DestinationS3Uri": "file:%s",
                   "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}"""
                        .formatted(capturePercent, Files.createDirectories(work.resolve("capture-" + name)));
        control.createEndpointConfig(json(
                """
                {"EndpointConfigName": "%s", "ProductionVariants": [
                  {"VariantName": "AllTraffic", "ModelName": "%s", "InitialInstanceCount": 1}]%s}"""
                        .formatted(name, name, capture)));
        control.createEndpoint(name, name);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!control.endpoint(name).status().equals("InService")) {
            if (control.endpoint(name).status().equals("Failed") || System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        name + " is not in service: " + control.endpoint(name).failureReason());
            }
            Thread.sleep(20);
        }
    }

    private static String url(TandemServer server, String endpoint) {
        return "http://127.0.0.1:" + server.port() + "/endpoints/" + endpoint + "/invocations";
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.getBytes(StandardCharsets.UTF_8));
    }
}
