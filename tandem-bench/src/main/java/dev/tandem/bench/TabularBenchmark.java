package dev.tandem.bench;

import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.PoolOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The penguins example end to end on one server — raw CSV → builtin:transform → builtin:xgboost →
 * builtin:postprocess — against three builtin:identity stages over the same HTTP path (the
 * baseline: what the server costs without any model work), one row per request and 64 rows per
 * request.
 *
 * <p>Usage: {@code tandem-bench/run tabular [--seconds N] [--rate N] [--in-flight N]}
 */
public final class TabularBenchmark {
    private TabularBenchmark() {}

    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 10);
        int rate = BenchmarkArgs.option(args, "--rate", 500);
        int inFlight = BenchmarkArgs.option(args, "--in-flight", 16);
        Duration measure = Duration.ofSeconds(seconds);
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        Path example = root.resolve("examples/penguins");
        List<String> holdout = Files.readAllLines(example.resolve("data/holdout.csv"));
        String header = holdout.get(0).substring(holdout.get(0).indexOf(',') + 1);
        StringBuilder batch = new StringBuilder(header).append('\n');
        for (int i = 0; i < 64; i++) {
            String line = holdout.get(1 + i % (holdout.size() - 1));
            batch.append(line, line.indexOf(',') + 1, line.length()).append('\n');
        }
        byte[] oneRow =
                holdout.get(1).substring(holdout.get(1).indexOf(',') + 1).getBytes(StandardCharsets.UTF_8);
        byte[] manyRows = batch.toString().getBytes(StandardCharsets.UTF_8);

        Vertx clientVertx = Vertx.vertx();
        try (TandemServer tandem = TandemServer.start(
                ServerConfig.defaults().withPort(0).withDataDir(WorkDirectory.create("tandem-bench")))) {
            PipelineOverheadBenchmark.deploy(tandem, example, Files.readString(example.resolve("pipeline.json")));
            PipelineOverheadBenchmark.deploy(
                    tandem,
                    example,
                    """
                    {"ModelName": "identity", "Containers": [
                      {"ContainerHostname": "s1", "Image": "builtin:identity"},
                      {"ContainerHostname": "s2", "Image": "builtin:identity"},
                      {"ContainerHostname": "s3", "Image": "builtin:identity"}]}
                    """);
            HttpClientAgent client = clientVertx.createHttpClient(
                    ContractClient.clientOptions(), new PoolOptions().setHttp1MaxSize(inFlight));
            int port = tandem.port();
            record Scenario(String name, Supplier<Future<?>> call) {}
            List<Scenario> scenarios = List.of(
                    new Scenario("identity x3, 1 row", () -> post(client, port, "identity", oneRow)),
                    new Scenario("penguins, 1 row", () -> post(client, port, "penguins", oneRow)),
                    new Scenario("identity x3, 64 rows", () -> post(client, port, "identity", manyRows)),
                    new Scenario("penguins, 64 rows", () -> post(client, port, "penguins", manyRows)));

            System.out.printf(Locale.ROOT, "warming up (%d s per scenario) ...%n", Math.max(3, seconds / 2));
            for (Scenario scenario : scenarios) {
                LoadGenerator.closedLoop(scenario.call(), inFlight, Duration.ofSeconds(Math.max(3, seconds / 2)));
            }
            LoadGenerator.Latency[] latency = new LoadGenerator.Latency[scenarios.size()];
            LoadGenerator.Throughput[] throughput = new LoadGenerator.Throughput[scenarios.size()];
            for (int i = 0; i < scenarios.size(); i++) {
                latency[i] = LoadGenerator.openLoop(scenarios.get(i).call(), rate, measure);
                throughput[i] = LoadGenerator.closedLoop(scenarios.get(i).call(), inFlight, measure);
            }

            System.out.printf(
                    Locale.ROOT,
                    "%nTabular example (penguins) — latency: open loop at %d req/s for %d s (µs, CO-corrected);"
                            + " throughput: closed loop, %d in flight, %d s; %d cores%n%n",
                    rate,
                    seconds,
                    inFlight,
                    seconds,
                    Runtime.getRuntime().availableProcessors());
            System.out.printf(
                    Locale.ROOT, "%-44s %9s %9s %9s %11s %7s%n", "scenario", "p50", "p99", "p99.9", "req/s", "errors");
            for (int i = 0; i < scenarios.size(); i++) {
                PipelineOverheadBenchmark.row(scenarios.get(i).name(), latency[i], throughput[i]);
            }
            System.out.printf(
                    Locale.ROOT,
                    "%npenguins / identity, 1 row: throughput %.2fx, p50 %.2fx; 64 rows: throughput %.2fx (%.0f rows/s)%n",
                    throughput[1].perSecond() / throughput[0].perSecond(),
                    latency[1].p50() / latency[0].p50(),
                    throughput[3].perSecond() / throughput[2].perSecond(),
                    throughput[3].perSecond() * 64);
        } finally {
            clientVertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    private static Future<Buffer> post(HttpClientAgent client, int port, String endpoint, byte[] csv) {
        return PipelineOverheadBenchmark.post(
                client, port, "/endpoints/" + endpoint + "/invocations", "text/csv", Buffer.buffer(csv));
    }
}
