package dev.tandem.bench;

import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import dev.tandem.server.tracing.Tracing;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
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
import java.util.Locale;
import java.util.function.Supplier;

/**
 * What Tandem adds per hop, measured against baselines in the same run (issue 2's benchmark):
 *
 * <ol>
 *   <li>(a) a client calling three contract containers one after the other, directly;
 *   <li>(b) the same three containers as a Tandem serial pipeline (Tandem adds one hop: the
 *       client's);
 *   <li>(c) a pipeline of three in-process identity stages, against (c0) a plain echo route on the
 *       same HTTP server.
 * </ol>
 *
 * <p>Latency comes from an open-loop run at a constant rate (coordinated-omission corrected),
 * throughput from a closed-loop run with a fixed number of requests in flight. The containers
 * are child processes; server and load generator share this JVM. Options: {@code --seconds N}
 * (per measurement, default 10), {@code --rate N} (open-loop requests per second, default 200),
 * {@code --in-flight N} (closed loop, default 16), {@code --payload N} (bytes, default 512),
 * {@code --capture-percent N} (data capture sampling on the observed server, default 0).
 */
public final class PipelineOverheadBenchmark {
    private static final int CONTAINERS = 3;

    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 10);
        int rate = BenchmarkArgs.option(args, "--rate", 200);
        int inFlight = BenchmarkArgs.option(args, "--in-flight", 16);
        int payloadBytes = BenchmarkArgs.option(args, "--payload", 512);
        int capturePercent = BenchmarkArgs.option(args, "--capture-percent", 0);
        Duration measure = Duration.ofSeconds(seconds);
        byte[] payload = "x".repeat(payloadBytes).getBytes(StandardCharsets.UTF_8);

        List<Process> containers = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        Path dataDir = WorkDirectory.create("tandem-bench");
        Vertx clientVertx = Vertx.vertx();
        TandemServer tandem = null;
        TandemServer bare = null;
        TandemServer observed = null;
        try {
            for (int i = 0; i < CONTAINERS; i++) {
                int port = freePort();
                ports.add(port);
                containers.add(startContainer(port));
            }
            for (int port : ports) {
                awaitPing(port);
            }
            tandem = TandemServer.start(
                    ServerConfig.defaults().withPort(0).withDataDir(dataDir),
                    PipelineOverheadBenchmark.class.getClassLoader(),
                    PipelineOverheadBenchmark::withEchoRoute);
            deploy(
                    tandem,
                    dataDir,
                    """
          {"ModelName": "chain", "Containers": [
            {"ContainerHostname": "c1", "Image": "http://127.0.0.1:%d"},
            {"ContainerHostname": "c2", "Image": "http://127.0.0.1:%d"},
            {"ContainerHostname": "c3", "Image": "http://127.0.0.1:%d"}]}
          """
                            .formatted(ports.get(0), ports.get(1), ports.get(2)));
            deploy(
                    tandem,
                    dataDir,
                    """
          {"ModelName": "identity", "Containers": [
            {"ContainerHostname": "s1", "Image": "builtin:identity"},
            {"ContainerHostname": "s2", "Image": "builtin:identity"},
            {"ContainerHostname": "s3", "Image": "builtin:identity"}]}
          """);
            // The same in-process pipeline on a server that records no metrics: their price.
            bare = TandemServer.start(ServerConfig.defaults()
                    .withPort(0)
                    .withDataDir(WorkDirectory.create("tandem-bench"))
                    .withMetrics(false));
            deploy(
                    bare,
                    dataDir,
                    """
          {"ModelName": "identity", "Containers": [
            {"ContainerHostname": "s1", "Image": "builtin:identity"},
            {"ContainerHostname": "s2", "Image": "builtin:identity"},
            {"ContainerHostname": "s3", "Image": "builtin:identity"}]}
          """);

            // And on a server that also traces every request (spans batch-exported to a discarding
            // exporter) and captures every request and response: the price of observing it all.
            Path captureDir = WorkDirectory.create("tandem-capture");
            observed = TandemServer.start(
                    ServerConfig.defaults().withPort(0).withDataDir(WorkDirectory.create("tandem-bench")),
                    PipelineOverheadBenchmark.class.getClassLoader(),
                    java.util.function.UnaryOperator.identity(),
                    Tracing.with(OpenTelemetrySdk.builder()
                            .setTracerProvider(SdkTracerProvider.builder()
                                    .addSpanProcessor(BatchSpanProcessor.builder(SpanExporter.composite())
                                            .build())
                                    .build())
                            .build()));
            ControlPlaneBenchmark.deployIdentityWithCapture(observed, "file:" + captureDir, capturePercent);

            HttpClientAgent client = clientVertx.createHttpClient(
                    ContractClient.clientOptions(), new PoolOptions().setHttp1MaxSize(inFlight * CONTAINERS));
            int tandemPort = tandem.port();
            Supplier<Future<?>> direct = () -> chain(client, ports, 0, Buffer.buffer(payload));
            Supplier<Future<?>> viaTandem =
                    () -> post(client, tandemPort, "/endpoints/chain/invocations", Buffer.buffer(payload));
            Supplier<Future<?>> plainRoute = () -> post(client, tandemPort, "/echo", Buffer.buffer(payload));
            Supplier<Future<?>> inProcess =
                    () -> post(client, tandemPort, "/endpoints/identity/invocations", Buffer.buffer(payload));
            int barePort = bare.port();
            Supplier<Future<?>> noMetrics =
                    () -> post(client, barePort, "/endpoints/identity/invocations", Buffer.buffer(payload));
            int observedPort = observed.port();
            Supplier<Future<?>> everything =
                    () -> post(client, observedPort, "/endpoints/identity/invocations", Buffer.buffer(payload));

            System.out.printf(Locale.ROOT, "warming up (%d s per scenario) ...%n", Math.max(3, seconds / 2));
            for (Supplier<Future<?>> scenario :
                    List.of(direct, viaTandem, plainRoute, inProcess, noMetrics, everything)) {
                LoadGenerator.closedLoop(scenario, inFlight, Duration.ofSeconds(Math.max(3, seconds / 2)));
            }

            LoadGenerator.Latency directLatency = LoadGenerator.openLoop(direct, rate, measure);
            LoadGenerator.Latency tandemLatency = LoadGenerator.openLoop(viaTandem, rate, measure);
            LoadGenerator.Latency plainLatency = LoadGenerator.openLoop(plainRoute, rate, measure);
            LoadGenerator.Latency inProcessLatency = LoadGenerator.openLoop(inProcess, rate, measure);
            LoadGenerator.Throughput directRate = LoadGenerator.closedLoop(direct, inFlight, measure);
            LoadGenerator.Throughput tandemRate = LoadGenerator.closedLoop(viaTandem, inFlight, measure);
            LoadGenerator.Throughput plainRate = LoadGenerator.closedLoop(plainRoute, inFlight, measure);
            LoadGenerator.Throughput inProcessRate = LoadGenerator.closedLoop(inProcess, inFlight, measure);
            LoadGenerator.Latency noMetricsLatency = LoadGenerator.openLoop(noMetrics, rate, measure);
            LoadGenerator.Throughput noMetricsRate = LoadGenerator.closedLoop(noMetrics, inFlight, measure);
            LoadGenerator.Latency everythingLatency = LoadGenerator.openLoop(everything, rate, measure);
            LoadGenerator.Throughput everythingRate = LoadGenerator.closedLoop(everything, inFlight, measure);

            System.out.printf(
                    Locale.ROOT,
                    "%nPipeline overhead — %d-byte payload; latency: open loop at %d req/s for %d s (µs, CO-corrected);"
                            + " throughput: closed loop, %d in flight, %d s%n%n",
                    payloadBytes,
                    rate,
                    seconds,
                    inFlight,
                    seconds);
            System.out.printf(
                    Locale.ROOT, "%-44s %9s %9s %9s %11s %7s%n", "scenario", "p50", "p99", "p99.9", "req/s", "errors");
            row("(a) client -> 3 containers directly", directLatency, directRate);
            row("(b) client -> Tandem -> 3 containers", tandemLatency, tandemRate);
            row("(c0) plain echo route, same server", plainLatency, plainRate);
            row("(c) Tandem, 3 in-process identity stages", inProcessLatency, inProcessRate);
            row("(c-) the same with metrics off", noMetricsLatency, noMetricsRate);
            row("(c+) metrics, traces, capture " + capturePercent + "%", everythingLatency, everythingRate);
            System.out.printf(
                    Locale.ROOT,
                    "%nratios (b)/(a): p50 %.2fx, p99 %.2fx, throughput %.2fx  (target: p50 within 1.4x)%n",
                    tandemLatency.p50() / directLatency.p50(),
                    tandemLatency.p99() / directLatency.p99(),
                    tandemRate.perSecond() / directRate.perSecond());
            System.out.printf(
                    Locale.ROOT,
                    "ratios (c)/(c0): p50 %.2fx, p99 %.2fx, throughput %.2fx  (target: throughput at least 0.8x)%n",
                    inProcessLatency.p50() / plainLatency.p50(),
                    inProcessLatency.p99() / plainLatency.p99(),
                    inProcessRate.perSecond() / plainRate.perSecond());
            System.out.printf(
                    Locale.ROOT,
                    "metrics on (c) / off (c-): p50 %.2fx, p99 %.2fx, throughput %.2fx%n",
                    inProcessLatency.p50() / noMetricsLatency.p50(),
                    inProcessLatency.p99() / noMetricsLatency.p99(),
                    inProcessRate.perSecond() / noMetricsRate.perSecond());
            System.out.printf(
                    Locale.ROOT,
                    "metrics + traces + capture (c+) / all off (c-): p50 %.2fx, p99 %.2fx, throughput %.2fx"
                            + "  (target: at least 0.95x with metrics and traces)%n",
                    everythingLatency.p50() / noMetricsLatency.p50(),
                    everythingLatency.p99() / noMetricsLatency.p99(),
                    everythingRate.perSecond() / noMetricsRate.perSecond());
        } finally {
            if (observed != null) {
                observed.close();
            }
            if (tandem != null) {
                tandem.close();
            }
            if (bare != null) {
                bare.close();
            }
            clientVertx.close().toCompletionStage().toCompletableFuture().get();
            containers.forEach(Process::destroy);
        }
    }

    /** Serves {@code POST /echo} on the event loop, the cheapest route the server can have. */
    private static io.vertx.core.Handler<HttpServerRequest> withEchoRoute(
            io.vertx.core.Handler<HttpServerRequest> tandem) {
        return request -> {
            if (request.path().equals("/echo")) {
                request.body().onSuccess(body -> request.response()
                        .putHeader("Content-Type", "application/octet-stream")
                        .end(body));
            } else {
                tandem.handle(request);
            }
        };
    }

    private static Future<?> chain(HttpClientAgent client, List<Integer> ports, int index, Buffer body) {
        if (index == ports.size()) {
            return Future.succeededFuture(body);
        }
        return post(client, ports.get(index), "/invocations", body)
                .compose(answer -> chain(client, ports, index + 1, answer));
    }

    static Future<Buffer> post(HttpClientAgent client, int port, String path, Buffer body) {
        return post(client, port, path, "application/octet-stream", body);
    }

    static Future<Buffer> post(HttpClientAgent client, int port, String path, String contentType, Buffer body) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost("127.0.0.1")
                .setPort(port)
                .setURI(path)
                .setIdleTimeout(10_000)
                .putHeader("Content-Type", contentType);
        return client.request(options)
                // Read the response inside the send callback: Vert.x's client races otherwise when the
                // request starts off its event loop (see ContractClient).
                .compose(request ->
                        request.send(body).compose(response -> ok(response).compose(r -> r.body())));
    }

    private static Future<HttpClientResponse> ok(HttpClientResponse response) {
        return response.statusCode() == 200
                ? Future.succeededFuture(response)
                : response.body().compose(b -> Future.failedFuture("HTTP " + response.statusCode() + ": " + b));
    }

    static void row(String name, LoadGenerator.Latency latency, LoadGenerator.Throughput throughput) {
        System.out.printf(
                Locale.ROOT,
                "%-44s %9.0f %9.0f %9.0f %11.0f %7d%n",
                name,
                latency.p50(),
                latency.p99(),
                latency.p999(),
                throughput.perSecond(),
                latency.errors() + throughput.errors());
    }

    static void deploy(TandemServer tandem, Path dir, String json) throws InterruptedException {
        String name = tandem.servePipeline(json.getBytes(StandardCharsets.UTF_8), dir);
        var endpoint = awaitDeployed(tandem, name);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!endpoint.isInService()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(endpoint.name() + " not in service after 60 s");
            }
            Thread.sleep(20);
        }
    }

    private static dev.tandem.server.endpoint.Endpoint awaitDeployed(TandemServer tandem, String name)
            throws InterruptedException {
        while (tandem.endpoints().find(name).isEmpty()) {
            if (tandem.controlPlane().endpoint(name).status().equals("Failed")) {
                throw new IllegalStateException(name + " failed: "
                        + tandem.controlPlane().endpoint(name).failureReason());
            }
            Thread.sleep(10);
        }
        return tandem.endpoints().find(name).orElseThrow();
    }

    private static Process startContainer(int port) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseSerialGC",
                "-Xmx128m",
                "-cp",
                System.getProperty("java.class.path"),
                EchoContainer.class.getName());
        builder.environment().put("SAGEMAKER_BIND_TO_PORT", Integer.toString(port));
        return builder.inheritIO().start();
    }

    private static void awaitPing(int port) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                HttpResponse<Void> response = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ping"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(50);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
