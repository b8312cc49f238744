package dev.tandem.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A long run at a steady load, to see what drifts: a mixed endpoint — a container process (the
 * echo container, {@code WORKERS} 4, 2 ms per request) followed by an in-process stage — first
 * driven to saturation to measure what it serves at most, then offered half of that, open-loop,
 * for {@code --minutes} (30). Each minute: requests, errors (must be 0), p50 and p99, the server's
 * resident memory and open file descriptors. At the end the least-squares slope of p99 and of RSS
 * per minute (≈ 0 when nothing leaks or degrades). Tandem runs in its own process. The client
 * retries a refused request as the AWS SDKs' standard mode does (three attempts in all, with their
 * backoff), so an error is what a user's SDK would have raised; the requests that needed a retry
 * are shown too.
 *
 * <p>Usage: {@code tandem-bench/run soak [--minutes N]}
 */
public final class SoakBenchmark {
    private static final String ENDPOINT = "mixed";
    /** The AWS SDKs' standard retry mode: three attempts in all. */
    private static final int SDK_ATTEMPTS = 3;

    private SoakBenchmark() {}

    private record Minute(int index, OpenLoopTally.Result load, long rss, long files) {}

    public static void main(String[] args) throws Exception {
        int minutes = BenchmarkArgs.option(args, "--minutes", 30);
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        Path work = WorkDirectory.create("tandem-soak");
        Path pipeline = mixedPipeline(work);
        Vertx vertx = Vertx.vertx();
        HttpClientAgent client = vertx.createHttpClient(
                new HttpClientOptions().setTcpNoDelay(true).setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(512).setMaxWaitQueueSize(-1));
        try (ServerProcess server =
                ServerProcess.start(root, pipeline, ENDPOINT, work.resolve("server.log"), List.of())) {
            // Saturation: as many in flight as the instance takes (4 workers + 1), so none is refused.
            LoadGenerator.closedLoop(() -> served(client, server.port()), 5, Duration.ofSeconds(5));
            double saturation = LoadGenerator.closedLoop(() -> served(client, server.port()), 5, Duration.ofSeconds(15))
                    .perSecond();
            int rate = (int) Math.max(1, saturation / 2);
            System.out.printf(
                    Locale.ROOT,
                    "Soak: mixed endpoint (exec container -> in-process stage), saturation %.0f req/s, offered %d"
                            + " req/s for %d min%n",
                    saturation,
                    rate,
                    minutes);
            // A minute at the offered rate first: the JIT compiles the open-loop path, the client
            // opens its connections, the variant learns its service time. Reported, not counted.
            OpenLoopTally load = new OpenLoopTally(vertx, client, server.port(), ENDPOINT, 10_000, SDK_ATTEMPTS);
            OpenLoopTally.Result warmUp = load.run(rate, 60);
            System.out.printf(
                    Locale.ROOT,
                    "warm-up minute: %d requests, %d retried, %d refused, %d failed%s%n",
                    warmUp.served() + warmUp.refused() + warmUp.failed(),
                    warmUp.retried(),
                    warmUp.refused(),
                    warmUp.failed(),
                    warmUp.failed() > 0 ? " (first: " + warmUp.firstFailure() + ")" : "");
            System.out.printf(
                    Locale.ROOT,
                    "%6s %9s %7s %7s %7s %9s %9s %9s %7s%n",
                    "minute",
                    "requests",
                    "retried",
                    "refused",
                    "failed",
                    "p50",
                    "p99",
                    "RSS",
                    "fds");
            List<Minute> record = new ArrayList<>();
            for (int minute = 1; minute <= minutes; minute++) {
                OpenLoopTally.Result result = load.run(rate, 60);
                Minute row = new Minute(minute, result, server.residentBytes(), server.openFiles());
                record.add(row);
                System.out.printf(
                        Locale.ROOT,
                        "%6d %9d %7d %7d %7d %7.2fms %7.2fms %6.0f MB %7d%s%n",
                        minute,
                        result.served() + result.refused() + result.failed(),
                        result.retried(),
                        result.refused(),
                        result.failed(),
                        result.servedP50() / 1e3,
                        result.servedP99() / 1e3,
                        row.rss() / 1e6,
                        row.files(),
                        result.failed() > 0 ? "  first failure: " + result.firstFailure() : "");
            }
            long errors = record.stream()
                    .mapToLong(m -> m.load().refused() + m.load().failed())
                    .sum();
            long retried = record.stream().mapToLong(m -> m.load().retried()).sum();
            System.out.printf(
                    Locale.ROOT,
                    "errors %d (refused after every attempt, or failed); %d retried; slope per minute: p99 %+.3f"
                            + " ms, RSS %+.2f MB, fds %+.2f%n",
                    errors,
                    retried,
                    slope(record.stream()
                            .mapToDouble(m -> m.load().servedP99() / 1e3)
                            .toArray()),
                    slope(record.stream().mapToDouble(m -> m.rss() / 1e6).toArray()),
                    slope(record.stream().mapToDouble(m -> (double) m.files()).toArray()));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    /** The least-squares slope of {@code values} against their index. */
    static double slope(double[] values) {
        int n = values.length;
        if (n < 2) {
            return 0;
        }
        double meanX = (n - 1) / 2.0;
        double meanY = 0;
        for (double value : values) {
            meanY += value / n;
        }
        double numerator = 0;
        double denominator = 0;
        for (int i = 0; i < n; i++) {
            numerator += (i - meanX) * (values[i] - meanY);
            denominator += (i - meanX) * (i - meanX);
        }
        return numerator / denominator;
    }

    /** One invocation that counts as done only when it was served. */
    private static Future<?> served(HttpClientAgent client, int port) {
        RequestOptions options = OpenLoopTally.invocation(port, ENDPOINT, 10_000);
        return client.request(options)
                .compose(request -> request.send(Buffer.buffer("5.1,3.5,1.4,0.2")))
                .compose(response -> response.body()
                        .compose(body -> response.statusCode() == 200
                                ? Future.succeededFuture(body)
                                : Future.failedFuture("HTTP " + response.statusCode())));
    }

    private static Path mixedPipeline(Path work) throws IOException {
        Path program = EchoContainer.writeLauncher(work);
        Path pipeline = work.resolve("mixed.json");
        Files.writeString(
                pipeline,
                """
                {"ModelName": "%s",
                 "Containers": [
                   {"ContainerHostname": "model", "Image": "exec:%s",
                    "Environment": {"SLEEP_MS": "2", "WORKERS": "4", "SAGEMAKER_MODEL_SERVER_WORKERS": "4"}},
                   {"ContainerHostname": "post", "Image": "builtin:identity"}]}
                """
                        .formatted(ENDPOINT, program));
        return pipeline;
    }
}
