package dev.tandem.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * An endpoint offered ten times the load it can serve. Its container has a known capacity —
 * {@code WORKERS} (4) workers of {@code SLEEP_MS} (50) ms each, 80 requests/s — and the client
 * gives up after 3 s, as real clients do. Tandem runs in its own process ({@code java -jar
 * tandem.jar serve}); this process only generates load.
 *
 * <p>The same run measures Tandem twice: as shipped (requests in flight per instance bounded,
 * past the bound refused at once with ThrottlingException), and with the bound lifted ({@code
 * --max-in-flight 100000}, how Tandem behaved before it had one). Each: the unloaded latency, then
 * {@code --factor} (10) × capacity open-loop for {@code --seconds} (20), then the unloaded load
 * again to see whether the endpoint recovered; the server's resident memory before and after.
 *
 * <p>Usage: {@code tandem-bench/run overload [--seconds N] [--factor N] [--sleep-ms N] [--workers N]}
 */
public final class OverloadBenchmark {
    private static final String ENDPOINT = "slow";
    private static final long CLIENT_TIMEOUT_MILLIS = 3_000;

    private OverloadBenchmark() {}

    /** What one configuration did under the three phases. */
    private record Figures(
            String label,
            OpenLoopTally.Result unloaded,
            OpenLoopTally.Result overload,
            OpenLoopTally.Result after,
            long rssBefore,
            long rssAfter) {}

    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 20);
        int factor = BenchmarkArgs.option(args, "--factor", 10);
        int sleepMillis = BenchmarkArgs.option(args, "--sleep-ms", 50);
        int workers = BenchmarkArgs.option(args, "--workers", 4);
        int capacity = workers * 1000 / sleepMillis;
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        Path work = WorkDirectory.create("tandem-overload");
        Path pipeline = slowPipeline(work, sleepMillis, workers);
        Vertx vertx = Vertx.vertx();
        // Enough connections that the client never waits for one: every request is on the wire.
        HttpClientAgent client = vertx.createHttpClient(
                new HttpClientOptions().setTcpNoDelay(true).setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(4096).setMaxWaitQueueSize(-1));
        try {
            Figures bounded = measure(
                    "Tandem (bounded, default)",
                    root,
                    work,
                    pipeline,
                    List.of(),
                    vertx,
                    client,
                    capacity,
                    factor,
                    seconds);
            Figures unbounded = measure(
                    "Tandem, bound lifted",
                    root,
                    work,
                    pipeline,
                    List.of("--max-in-flight", "100000"),
                    vertx,
                    client,
                    capacity,
                    factor,
                    seconds);
            System.out.printf(
                    Locale.ROOT,
                    "%nOverload: container capacity %d req/s (%d workers x %d ms), offered %d req/s (%dx) for %d s,"
                            + " client timeout %d s%n",
                    capacity,
                    workers,
                    sleepMillis,
                    capacity * factor,
                    factor,
                    seconds,
                    CLIENT_TIMEOUT_MILLIS / 1000);
            System.out.printf(
                    Locale.ROOT,
                    "%-28s %10s %10s %9s %10s %9s %10s %8s %9s %12s %10s%n",
                    "",
                    "idle p99",
                    "served/s",
                    "goodput",
                    "served p99",
                    "p99/idle",
                    "refused/s",
                    "refusal",
                    "failed",
                    "RSS growth",
                    "after p99");
            for (Figures figures : List.of(bounded, unbounded)) {
                row(figures, capacity);
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    private static Figures measure(
            String label,
            Path root,
            Path work,
            Path pipeline,
            List<String> options,
            Vertx vertx,
            HttpClientAgent client,
            int capacity,
            int factor,
            int seconds)
            throws IOException, InterruptedException {
        Path log = work.resolve(label.replaceAll("[^a-z]", "") + ".log");
        List<String> all = new java.util.ArrayList<>(List.of("--invocation-timeout", "3s"));
        all.addAll(options);
        try (ServerProcess server = ServerProcess.start(root, pipeline, ENDPOINT, log, all)) {
            OpenLoopTally load = new OpenLoopTally(vertx, client, server.port(), ENDPOINT, CLIENT_TIMEOUT_MILLIS);
            int gentle = Math.max(1, capacity / 4);
            // Warm-up, past capacity too, so the JIT has compiled the refusal path before it is measured.
            load.run(gentle, 3);
            load.run(capacity * factor, 5);
            load.run(gentle, 3);
            OpenLoopTally.Result unloaded = load.run(gentle, 10);
            System.out.println(label + " unloaded: " + unloaded);
            long rssBefore = server.residentBytes();
            OpenLoopTally.Result overload = load.run(capacity * factor, seconds);
            System.out.println(label + " overload: " + overload);
            OpenLoopTally.Result after = load.run(gentle, 10);
            long rssAfter = server.residentBytes();
            System.out.printf(
                    Locale.ROOT,
                    "%s: overload served %d, refused %d, failed %d (first: %s); afterwards failed %d (first: %s)%n",
                    label,
                    overload.served(),
                    overload.refused(),
                    overload.failed(),
                    overload.firstFailure(),
                    after.failed(),
                    after.firstFailure());
            return new Figures(label, unloaded, overload, after, rssBefore, rssAfter);
        }
    }

    private static void row(Figures f, int capacity) {
        System.out.printf(
                Locale.ROOT,
                "%-28s %8.1fms %10.1f %8.0f%% %8.1fms %8.2fx %10.1f %6.1fms %9d %9.1f MB %8.1fms%n",
                f.label(),
                f.unloaded().servedP99() / 1e3,
                f.overload().goodput(),
                100.0 * f.overload().goodput() / capacity,
                f.overload().servedP99() / 1e3,
                f.overload().servedP99() / f.unloaded().servedP99(),
                f.overload().refused() / f.overload().seconds(),
                f.overload().refusedP99() / 1e3,
                f.overload().failed(),
                (f.rssAfter() - f.rssBefore()) / 1e6,
                f.after().servedP99() / 1e3);
    }

    /** A one-container pipeline: the echo container with a fixed service time and worker count. */
    private static Path slowPipeline(Path work, int sleepMillis, int workers) throws IOException {
        Path program = EchoContainer.writeLauncher(work);
        Path pipeline = work.resolve("slow.json");
        Files.writeString(
                pipeline,
                """
                {"ModelName": "%s",
                 "Containers": [{"ContainerHostname": "model", "Image": "exec:%s",
                   "Environment": {"SLEEP_MS": "%d", "WORKERS": "%d", "SAGEMAKER_MODEL_SERVER_WORKERS": "%d"}}]}
                """
                        .formatted(ENDPOINT, program, sleepMillis, workers, workers));
        return pipeline;
    }
}
