package dev.tandem.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What dynamic batching buys, measured from outside: wrk, in a process of its own, sends one
 * request at a time per connection — one sentence to the embeddings example (all-MiniLM-L6-v2 in
 * {@code builtin:onnx}), one penguin to the penguins example ({@code builtin:xgboost} between its
 * transform and postprocess stages) — at 1, 8 and 32 connections, to three copies of each model
 * served by one {@code ./tandem serve}: batching off, batching on with no queue delay, and on with
 * a delay. Every contender is measured in the same round, so the machine's noise hits rounds.
 *
 * <p>Options: {@code --seconds N} a run (default 8), {@code --rounds N} (default 1), {@code
 * --max-batch N} (default 32), {@code --delay-micros N} (default 2000), {@code --connections
 * 1,8,32}. Needs {@code wrk} on the PATH ({@code tandem-bench/run batching} installs it with
 * apt-get when missing).
 */
public final class BatchingBenchmark {
    private BatchingBenchmark() {}

    private record Model(String name, String body, String contentType, String pipeline) {}

    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 8);
        int rounds = BenchmarkArgs.option(args, "--rounds", 1);
        int maxBatch = BenchmarkArgs.option(args, "--max-batch", 32);
        int delayMicros = BenchmarkArgs.option(args, "--delay-micros", 2000);
        int workers = BenchmarkArgs.option(args, "--workers", 0);
        int threads = BenchmarkArgs.option(args, "--threads", 0);
        int[] connections = BenchmarkArgs.numbers(args, "--connections", 1, 8, 32);
        Duration run = Duration.ofSeconds(seconds);
        Path root = Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath();
        Path work = WorkDirectory.create("tandem-batching");

        Path embeddings = root.resolve("examples/embeddings/model");
        Path penguins = root.resolve("examples/penguins/model");
        List<String> holdout = Files.readAllLines(root.resolve("examples/penguins/data/holdout.csv"));
        String penguin = holdout.get(1).substring(holdout.get(1).indexOf(',') + 1);
        List<Model> models = List.of(
                new Model(
                        "MiniLM",
                        "A man is eating a piece of bread in the park.",
                        "text/plain",
                        """
                        {"ModelName": "%%s", "Containers": [
                          {"ContainerHostname": "tokenizer", "Image": "builtin:tokenize", "ModelDataUrl": "file:%1$s",
                           "Environment": {"TANDEM_MAX_LENGTH": "128"}},
                          {"ContainerHostname": "minilm", "Image": "builtin:onnx", "ModelDataUrl": "file:%1$s",
                           "Environment": {"TANDEM_ONNX_OUTPUTS": "last_hidden_state", "TANDEM_ONNX_POOLING": "mean",
                             "TANDEM_ONNX_NORMALIZE": "true"%%s}}]}
                        """
                                .formatted(embeddings)),
                new Model(
                        "penguins",
                        penguin,
                        "text/csv",
                        """
                        {"ModelName": "%%s", "Containers": [
                          {"ContainerHostname": "features", "Image": "builtin:transform",
                           "ModelDataUrl": "file:%1$s/transform.tar.gz"},
                          {"ContainerHostname": "xgboost", "Image": "builtin:xgboost",
                           "ModelDataUrl": "file:%1$s/xgboost.tar.gz", "Environment": {"TANDEM_XGBOOST_OUTPUT": "probability"%%s}},
                          {"ContainerHostname": "species", "Image": "builtin:postprocess",
                           "Environment": {"TANDEM_LABELS": "Adelie,Chinstrap,Gentoo", "TANDEM_DECIMALS": "3"}}]}
                        """
                                .formatted(penguins)));
        String batching = ", \"TANDEM_MAX_BATCH_SIZE\": \"" + maxBatch + "\""
                + (workers > 0 ? ", \"TANDEM_BATCH_WORKERS\": \"" + workers + "\"" : "")
                + (threads > 0
                        ? ", \"TANDEM_ONNX_INTRA_OP_THREADS\": \"" + threads + "\", \"TANDEM_XGBOOST_THREADS\": \""
                                + threads + "\""
                        : "");
        List<String> settings =
                List.of("", batching, batching + ", \"TANDEM_MAX_QUEUE_DELAY_MICROSECONDS\": \"" + delayMicros + "\"");
        List<String> variants = List.of("off", "on", "delay");
        List<String> pipelines = new ArrayList<>();
        for (Model model : models) {
            for (int v = 0; v < variants.size(); v++) {
                String name = endpoint(model, variants.get(v));
                Path file = work.resolve(name + ".json");
                Files.writeString(file, model.pipeline().formatted(name, settings.get(v)));
                pipelines.add(file.toString());
            }
        }
        Model first = models.get(0);
        try (ServerProcess tandem = ServerProcess.start(
                root,
                Path.of(pipelines.get(0)),
                endpoint(first, "off"),
                work.resolve("tandem.log"),
                pipelines.subList(1, pipelines.size()),
                first.contentType(),
                first.body())) {
            System.out.printf(
                    Locale.ROOT,
                    "One request per connection at a time, %d s a run; req/s (p50 / p99). %d cores. Batching: at"
                            + " most %d rows, no delay (\"on\") or %d µs (\"delay\").%n",
                    seconds,
                    Runtime.getRuntime().availableProcessors(),
                    maxBatch,
                    delayMicros);
            System.out.printf(
                    Locale.ROOT,
                    "%n| round | model | connections | off | on | on, %d µs delay | on / off req/s | p99 on / off |"
                            + " delay / off req/s | p99 delay / off |%n",
                    delayMicros);
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            for (Model model : models) {
                Wrk wrk = Wrk.posting(work, model.name(), model.body(), model.contentType());
                for (String variant : variants) {
                    wrk.run(url(tandem, endpoint(model, variant)), 8, Duration.ofSeconds(5));
                }
            }
            for (int round = 1; round <= rounds; round++) {
                for (Model model : models) {
                    Wrk wrk = Wrk.posting(work, model.name(), model.body(), model.contentType());
                    for (int c : connections) {
                        Wrk.Result off = wrk.run(url(tandem, endpoint(model, "off")), c, run);
                        Wrk.Result on = wrk.run(url(tandem, endpoint(model, "on")), c, run);
                        Wrk.Result delayed = wrk.run(url(tandem, endpoint(model, "delay")), c, run);
                        long errors = off.errors() + on.errors() + delayed.errors();
                        System.out.printf(
                                Locale.ROOT,
                                "| %d | %s | %d | %s | %s | %s | %.2f× | %.2f× | %.2f× | %.2f× |%s%n",
                                round,
                                model.name(),
                                c,
                                off.cell(),
                                on.cell(),
                                delayed.cell(),
                                on.perSecond() / off.perSecond(),
                                on.p99Micros() / off.p99Micros(),
                                delayed.perSecond() / off.perSecond(),
                                delayed.p99Micros() / off.p99Micros(),
                                errors == 0 ? "" : " errors: " + errors);
                    }
                }
            }
        }
    }

    private static String endpoint(Model model, String variant) {
        return model.name().toLowerCase(Locale.ROOT) + "-" + variant;
    }

    private static String url(ServerProcess tandem, String endpoint) {
        return "http://127.0.0.1:" + tandem.port() + "/endpoints/" + endpoint + "/invocations";
    }
}
