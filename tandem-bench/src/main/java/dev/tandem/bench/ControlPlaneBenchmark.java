package dev.tandem.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import dev.tandem.server.control.ControlPlane;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The control plane's figures (issue 3's benchmark):
 *
 * <ol>
 *   <li>time from CreateEndpoint to InService for the README's example (three exec containers), on
 *       a fresh data dir (the containers compile on their first start) and again with them built;
 *   <li>routing overhead: an endpoint of 2 variants × 2 instances against 1 × 1, same in-process
 *       pipeline, as throughput and latency ratios.
 * </ol>
 *
 * Options: {@code --seconds N} per measurement (default 8), {@code --in-flight N} (default 16),
 * {@code --rate N} open-loop requests per second (default 500).
 */
public final class ControlPlaneBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 8);
        int inFlight = BenchmarkArgs.option(args, "--in-flight", 16);
        int rate = BenchmarkArgs.option(args, "--rate", 500);
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        Path example = root.resolve("examples/iris/pipeline.json");

        System.out.println("CreateEndpoint -> InService, examples/iris/pipeline.json (3 exec containers):");
        // The first run starts from clean containers: they compile their Java sources on start.
        try (var folders = Files.list(root.resolve("examples/iris/containers"))) {
            for (Path folder : folders.toList()) {
                WorkDirectory.removeTree(folder.resolve(".build"));
            }
        }
        for (String run : new String[] {"first start (containers compile)", "containers already built"}) {
            Path dataDir = WorkDirectory.create("tandem-bench");
            try (TandemServer server =
                    TandemServer.start(ServerConfig.defaults().withPort(0).withDataDir(dataDir))) {
                long start = System.nanoTime();
                String name = server.servePipelineFile(example);
                awaitInService(server.controlPlane(), name);
                System.out.printf(Locale.ROOT, "  %-34s %6.2f s%n", run, (System.nanoTime() - start) / 1e9);
            }
        }

        Path dataDir = WorkDirectory.create("tandem-bench");
        Vertx clientVertx = Vertx.vertx();
        try (TandemServer server =
                TandemServer.start(ServerConfig.defaults().withPort(0).withDataDir(dataDir))) {
            ControlPlane control = server.controlPlane();
            control.createModel(
                    json(
                            """
                    {"ModelName": "chain", "Containers": [
                      {"ContainerHostname": "a", "Image": "builtin:identity"},
                      {"ContainerHostname": "b", "Image": "builtin:identity"},
                      {"ContainerHostname": "c", "Image": "builtin:identity"}]}
                    """));
            control.createEndpointConfig(
                    json(
                            """
                    {"EndpointConfigName": "one", "ProductionVariants": [
                      {"VariantName": "AllTraffic", "ModelName": "chain", "InitialInstanceCount": 1}]}
                    """));
            control.createEndpointConfig(
                    json(
                            """
                    {"EndpointConfigName": "four", "ProductionVariants": [
                      {"VariantName": "A", "ModelName": "chain", "InitialInstanceCount": 2, "InitialVariantWeight": 1},
                      {"VariantName": "B", "ModelName": "chain", "InitialInstanceCount": 2, "InitialVariantWeight": 1}]}
                    """));
            control.createEndpoint("single", "one");
            control.createEndpoint("spread", "four");
            awaitInService(control, "single");
            awaitInService(control, "spread");

            HttpClientAgent client = clientVertx.createHttpClient(
                    ContractClient.clientOptions(), new PoolOptions().setHttp1MaxSize(inFlight));
            int port = server.port();
            Supplier<Future<?>> single = () -> post(client, port, "/endpoints/single/invocations");
            Supplier<Future<?>> spread = () -> post(client, port, "/endpoints/spread/invocations");
            LoadGenerator.closedLoop(single, inFlight, Duration.ofSeconds(3));
            LoadGenerator.closedLoop(spread, inFlight, Duration.ofSeconds(3));
            Duration measure = Duration.ofSeconds(seconds);
            LoadGenerator.Latency singleLatency = LoadGenerator.openLoop(single, rate, measure);
            LoadGenerator.Latency spreadLatency = LoadGenerator.openLoop(spread, rate, measure);
            LoadGenerator.Throughput singleRate = LoadGenerator.closedLoop(single, inFlight, measure);
            LoadGenerator.Throughput spreadRate = LoadGenerator.closedLoop(spread, inFlight, measure);

            System.out.printf(
                    Locale.ROOT,
                    "%nRouting: 3 in-process identity stages; open loop %d req/s, closed loop %d in flight, %d s%n",
                    rate,
                    inFlight,
                    seconds);
            System.out.printf(Locale.ROOT, "  %-28s %8s %8s %10s%n", "endpoint", "p50 µs", "p99 µs", "req/s");
            System.out.printf(
                    Locale.ROOT,
                    "  %-28s %8.0f %8.0f %10.0f%n",
                    "1 variant x 1 instance",
                    singleLatency.p50(),
                    singleLatency.p99(),
                    singleRate.perSecond());
            System.out.printf(
                    Locale.ROOT,
                    "  %-28s %8.0f %8.0f %10.0f%n",
                    "2 variants x 2 instances",
                    spreadLatency.p50(),
                    spreadLatency.p99(),
                    spreadRate.perSecond());
            System.out.printf(
                    Locale.ROOT,
                    "  ratio 2x2 / 1x1: p50 %.2fx, p99 %.2fx, throughput %.2fx (errors: %d)%n",
                    spreadLatency.p50() / singleLatency.p50(),
                    spreadLatency.p99() / singleLatency.p99(),
                    spreadRate.perSecond() / singleRate.perSecond(),
                    singleLatency.errors() + spreadLatency.errors() + singleRate.errors() + spreadRate.errors());
        } finally {
            clientVertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    /** Deploys endpoint "identity" (3 identity stages) capturing {@code percent}% of requests to {@code destination}. */
    static void deployIdentityWithCapture(TandemServer server, String destination, int percent) throws Exception {
        ControlPlane control = server.controlPlane();
        control.createModel(
                json(
                        """
                {"ModelName": "identity", "Containers": [
                  {"ContainerHostname": "s1", "Image": "builtin:identity"},
                  {"ContainerHostname": "s2", "Image": "builtin:identity"},
                  {"ContainerHostname": "s3", "Image": "builtin:identity"}]}
                """));
        control.createEndpointConfig(json(
                """
                {"EndpointConfigName": "identity", "ProductionVariants": [
                  {"VariantName": "AllTraffic", "ModelName": "identity", "InitialInstanceCount": 1}],
                 "DataCaptureConfig": {"EnableCapture": true, "InitialSamplingPercentage": %d,
                   "DestinationS3Uri": "%s",
                   "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}}
                """
                        .formatted(percent, destination)));
        control.createEndpoint("identity", "identity");
        awaitInService(control, "identity");
    }

    private static Future<Buffer> post(HttpClientAgent client, int port, String path) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost("127.0.0.1")
                .setPort(port)
                .setURI(path)
                .putHeader("Content-Type", "text/csv");
        return client.request(options).compose(request -> request.send(Buffer.buffer("5.1,3.5,1.4,0.2"))
                .compose(response -> response.statusCode() == 200
                        ? response.body()
                        : Future.failedFuture("HTTP " + response.statusCode())));
    }

    private static void awaitInService(ControlPlane control, String name) throws InterruptedException {
        while (true) {
            String status = control.endpoint(name).status();
            if (status.equals("InService")) {
                return;
            }
            if (status.equals("Failed")) {
                throw new IllegalStateException(
                        name + " failed: " + control.endpoint(name).failureReason());
            }
            Thread.sleep(10);
        }
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.getBytes(StandardCharsets.UTF_8));
    }
}
