package dev.tandem.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Asynchronous inference on the penguins example (three in-process stages), against the same
 * model's real-time endpoint in the same run: how fast requests are accepted (202, durably
 * queued), how fast they are processed end to end (accepted to result file written), and how long
 * the first request takes to its result when the endpoint has scaled to zero, against the same
 * endpoint's cold start through CreateEndpoint.
 *
 * <p>Usage: {@code tandem-bench/run async [--requests N]}
 */
public final class AsyncInferenceBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AsyncInferenceBenchmark() {}

    public static void main(String[] args) throws Exception {
        int requests = BenchmarkArgs.option(args, "--requests", 5_000);
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        Path example = root.resolve("examples/penguins");
        List<String> holdout = Files.readAllLines(example.resolve("data/holdout.csv"));
        List<String> rows = holdout.subList(1, holdout.size()).stream()
                .map(line -> line.substring(line.indexOf(',') + 1))
                .toList();
        Path work = WorkDirectory.create("tandem-async-bench");
        Vertx clientVertx = Vertx.vertx();
        try (TandemServer tandem =
                TandemServer.start(ServerConfig.defaults().withPort(0).withDataDir(work.resolve("data")))) {
            PipelineOverheadBenchmark.deploy(tandem, example, Files.readString(example.resolve("pipeline.json")));
            long coldStart = createAsyncEndpoint(tandem, "penguins-async", work.resolve("out"));
            HttpClientAgent client =
                    clientVertx.createHttpClient(ContractClient.clientOptions(), new PoolOptions().setHttp1MaxSize(16));
            int port = tandem.port();
            AtomicInteger next = new AtomicInteger();

            // Baseline: the same rows through InvokeEndpoint, 16 in flight (the async endpoint runs 16 at once).
            LoadGenerator.closedLoop(() -> realTime(client, port, rows, next), 16, Duration.ofSeconds(5));
            LoadGenerator.Throughput realTime =
                    LoadGenerator.closedLoop(() -> realTime(client, port, rows, next), 16, Duration.ofSeconds(8));

            // Accepting: InvokeEndpointAsync with inline bodies, 16 in flight, while the queue drains.
            LoadGenerator.Throughput accepted = LoadGenerator.closedLoop(
                    () -> async(client, port, rows.get(next.getAndIncrement() % rows.size())),
                    16,
                    Duration.ofSeconds(5));
            awaitResults(work.resolve("out"), accepted.count(), Duration.ofMinutes(5));

            // End to end: a burst of N requests, from the first sent to the last result written.
            Path out = work.resolve("out");
            long before = results(out);
            long start = System.nanoTime();
            Semaphore window = new Semaphore(16);
            for (int i = 0; i < requests; i++) {
                window.acquire();
                async(client, port, rows.get(next.getAndIncrement() % rows.size()))
                        .onComplete(done -> window.release());
            }
            awaitResults(out, before + requests, Duration.ofMinutes(10));
            double endToEnd = requests / ((System.nanoTime() - start) / 1e9);

            // Scale to zero, then one request: time to its result.
            tandem.controlPlane().updateWeightsAndCapacities("penguins-async", Map.of(), Map.of("AllTraffic", 0));
            awaitInstances(tandem, "penguins-async", 0);
            before = results(out);
            long wake = System.nanoTime();
            async(client, port, rows.get(0))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get();
            awaitResults(out, before + 1, Duration.ofMinutes(2));
            long fromZeroMillis = (System.nanoTime() - wake) / 1_000_000;

            System.out.printf(
                    Locale.ROOT,
                    "%nAsynchronous inference, penguins example (3 in-process stages); %d cores%n%n%-52s %12s %9s%n",
                    Runtime.getRuntime().availableProcessors(),
                    "scenario",
                    "req/s",
                    "vs base");
            System.out.printf(
                    Locale.ROOT,
                    "%-52s %,12.0f %8.2fx%n",
                    "real-time InvokeEndpoint, 16 in flight",
                    realTime.perSecond(),
                    1.0);
            System.out.printf(
                    Locale.ROOT,
                    "%-52s %,12.0f %8.2fx%n",
                    "InvokeEndpointAsync accepted (202), 16 in flight",
                    accepted.perSecond(),
                    accepted.perSecond() / realTime.perSecond());
            System.out.printf(
                    Locale.ROOT,
                    "%-52s %,12.0f %8.2fx%n",
                    "async end to end, " + requests + " requests, result written",
                    endToEnd,
                    endToEnd / realTime.perSecond());
            System.out.printf(
                    Locale.ROOT,
                    "%nScale from zero: first request to its result %,d ms; CreateEndpoint to InService %,d ms"
                            + " (%.2fx)%n",
                    fromZeroMillis,
                    coldStart,
                    (double) fromZeroMillis / coldStart);
        } finally {
            clientVertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    private static Future<?> realTime(HttpClientAgent client, int port, List<String> rows, AtomicInteger next) {
        return PipelineOverheadBenchmark.post(
                client,
                port,
                "/endpoints/penguins/invocations",
                "text/csv",
                Buffer.buffer(rows.get(next.getAndIncrement() % rows.size())));
    }

    private static Future<?> async(HttpClientAgent client, int port, String row) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost("127.0.0.1")
                .setPort(port)
                .setURI("/endpoints/penguins-async/async-invocations")
                .setIdleTimeout(10_000)
                .putHeader("X-Amzn-SageMaker-Content-Type", "text/csv");
        return client.request(options)
                .compose(request -> request.send(Buffer.buffer(row)).compose(response -> response.body()
                        .compose(body -> response.statusCode() == 202
                                ? Future.succeededFuture(body)
                                : Future.failedFuture("HTTP " + response.statusCode() + ": " + body))));
    }

    /** Creates the async endpoint on the penguins model; answers its CreateEndpoint-to-InService ms. */
    private static long createAsyncEndpoint(TandemServer tandem, String name, Path output) throws InterruptedException {
        ObjectNode config = JSON.createObjectNode();
        config.put("EndpointConfigName", name);
        ObjectNode variant = config.putArray("ProductionVariants").addObject();
        variant.put("VariantName", "AllTraffic");
        variant.put("ModelName", "penguins");
        variant.put("InitialInstanceCount", 1);
        ObjectNode async = config.putObject("AsyncInferenceConfig");
        async.putObject("ClientConfig").put("MaxConcurrentInvocationsPerInstance", 16);
        async.putObject("OutputConfig").put("S3OutputPath", "file:" + output);
        tandem.controlPlane().createEndpointConfig(config);
        long start = System.nanoTime();
        tandem.controlPlane().createEndpoint(name, name);
        awaitInstances(tandem, name, 1);
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void awaitInstances(TandemServer tandem, String name, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!(tandem.controlPlane().endpoint(name).status().equals("InService")
                && tandem.controlPlane()
                                .live(name)
                                .map(e -> e.healthyInstances())
                                .orElse(-1)
                        == count)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not reach " + count + " instance(s)");
            }
            Thread.sleep(10);
        }
    }

    private static void awaitResults(Path folder, long count, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (results(folder) < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(results(folder) + " of " + count + " results in " + folder);
            }
            Thread.sleep(5);
        }
    }

    private static long results(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".out"))
                    .count();
        }
    }
}
