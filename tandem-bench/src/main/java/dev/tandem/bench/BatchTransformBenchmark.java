package dev.tandem.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import dev.tandem.server.store.StoredTransformJob;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.PoolOptions;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records per second of batch transform on the penguins example — SingleRecord and MultiRecord, 1
 * and 4 requests in flight — against the same rows sent one by one to the real-time endpoint of
 * the same model with 4 in flight (the baseline).
 *
 * <p>Usage: {@code tandem-bench/run batch [--rows N]}
 */
public final class BatchTransformBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BatchTransformBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rowCount = BenchmarkArgs.option(args, "--rows", 50_000);
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        Path example = root.resolve("examples/penguins");
        List<String> holdout = Files.readAllLines(example.resolve("data/holdout.csv"));
        List<String> rows = holdout.subList(1, holdout.size()).stream()
                .map(line -> line.substring(line.indexOf(',') + 1))
                .toList();
        Path work = WorkDirectory.create("tandem-batch-bench");
        Path input = Files.createDirectories(work.resolve("in"));
        try (BufferedWriter out = Files.newBufferedWriter(input.resolve("rows.csv"))) {
            for (int i = 0; i < rowCount; i++) {
                out.write(rows.get(i % rows.size()));
                out.write('\n');
            }
        }

        Vertx clientVertx = Vertx.vertx();
        try (TandemServer tandem =
                TandemServer.start(ServerConfig.defaults().withPort(0).withDataDir(work.resolve("data")))) {
            PipelineOverheadBenchmark.deploy(tandem, example, Files.readString(example.resolve("pipeline.json")));

            // Baseline: every row its own InvokeEndpoint request, 4 in flight, until all are answered.
            HttpClientAgent client =
                    clientVertx.createHttpClient(ContractClient.clientOptions(), new PoolOptions().setHttp1MaxSize(4));
            int port = tandem.port();
            AtomicInteger next = new AtomicInteger();
            LoadGenerator.closedLoop(
                    () -> PipelineOverheadBenchmark.post(
                            client,
                            port,
                            "/endpoints/penguins/invocations",
                            "text/csv",
                            Buffer.buffer(rows.get(next.getAndIncrement() % rows.size()))),
                    4,
                    Duration.ofSeconds(3));
            LoadGenerator.Throughput realTime = LoadGenerator.closedLoop(
                    () -> PipelineOverheadBenchmark.post(
                            client,
                            port,
                            "/endpoints/penguins/invocations",
                            "text/csv",
                            Buffer.buffer(rows.get(next.getAndIncrement() % rows.size())
                                    .getBytes(StandardCharsets.UTF_8))),
                    4,
                    Duration.ofSeconds(8));

            record Case(String strategy, int concurrency) {}
            List<Case> cases = List.of(
                    new Case("SingleRecord", 1),
                    new Case("SingleRecord", 4),
                    new Case("MultiRecord", 1),
                    new Case("MultiRecord", 4));
            run(tandem, "warm-up", "MultiRecord", 1, input, work.resolve("warm"));
            System.out.printf(
                    Locale.ROOT,
                    "%nBatch transform, penguins example, %,d rows in one file; %d cores%n%n%-34s %12s %10s%n",
                    rowCount,
                    Runtime.getRuntime().availableProcessors(),
                    "scenario",
                    "records/s",
                    "vs base");
            System.out.printf(
                    Locale.ROOT,
                    "%-34s %,12.0f %9.2fx%n",
                    "real-time, 1 row/request, 4 in flight",
                    realTime.perSecond(),
                    1.0);
            for (Case c : cases) {
                double seconds = run(
                        tandem,
                        (c.strategy() + "-" + c.concurrency()).toLowerCase(Locale.ROOT),
                        c.strategy(),
                        c.concurrency(),
                        input,
                        work.resolve("out-" + c.strategy() + c.concurrency()));
                double rate = rowCount / seconds;
                System.out.printf(
                        Locale.ROOT,
                        "%-34s %,12.0f %9.2fx%n",
                        "batch " + c.strategy() + ", " + c.concurrency() + " in flight",
                        rate,
                        rate / realTime.perSecond());
            }
        } finally {
            clientVertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    /** Runs one job to its end; answers its wall time in seconds, containers' start included. */
    private static double run(
            TandemServer tandem, String name, String strategy, int concurrency, Path input, Path output)
            throws InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.put("TransformJobName", name);
        request.put("ModelName", "penguins");
        request.put("BatchStrategy", strategy);
        request.put("MaxConcurrentTransforms", concurrency);
        ObjectNode in = request.putObject("TransformInput");
        in.put("ContentType", "text/csv");
        in.put("SplitType", "Line");
        ObjectNode source = in.putObject("DataSource").putObject("S3DataSource");
        source.put("S3DataType", "S3Prefix");
        source.put("S3Uri", "file:" + input);
        ObjectNode out = request.putObject("TransformOutput");
        out.put("S3OutputPath", "file:" + output);
        out.put("Accept", "text/csv");
        out.put("AssembleWith", "Line");
        ObjectNode resources = request.putObject("TransformResources");
        resources.put("InstanceType", "ml.m5.large");
        resources.put("InstanceCount", 1);
        long start = System.nanoTime();
        tandem.transformJobs().create(request);
        while (true) {
            StoredTransformJob job = tandem.transformJobs().job(name);
            if (job.finished()) {
                if (!job.status().equals("Completed")) {
                    throw new IllegalStateException(name + " " + job.status() + ": " + job.failureReason());
                }
                return (System.nanoTime() - start) / 1e9;
            }
            Thread.sleep(5);
        }
    }
}
