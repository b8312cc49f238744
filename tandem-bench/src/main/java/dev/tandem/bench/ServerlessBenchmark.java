package dev.tandem.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cold starts of serverless endpoints: each example served with {@code --serverless}, driven
 * through repeated scale-to-zero cycles — wait until its instance has stopped, time the first
 * request (zero to answer), then time warm requests — and compared with its own warm latency in
 * the same run. The server's own {@code ModelSetupTime} (launch to healthy) is read from its
 * metrics: the rest of a cold request is the request itself. Tandem runs in its own process.
 *
 * <p>Usage: {@code tandem-bench/run serverless [--cycles N]}
 */
public final class ServerlessBenchmark {
    /** Short, so that a cycle takes about a second; the server's default is minutes. */
    private static final String IDLE = "300ms";

    private static final int WARM_PER_CYCLE = 10;

    private ServerlessBenchmark() {}

    private record Example(String name, String contentType, String body) {}

    private record Figures(String name, List<Long> cold, List<Long> warm, double setupMeanMs) {}

    public static void main(String[] args) throws Exception {
        int cycles = BenchmarkArgs.option(args, "--cycles", 20);
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        List<Example> examples = List.of(
                new Example("penguins", "text/csv", "Biscoe,48.7,14.1,210,4450,female,2007"),
                new Example("embeddings", "text/plain", "Serverless endpoints start on the first request."),
                new Example("iris", "text/csv", "5.1,3.5,1.4,0.2"));
        Path work = WorkDirectory.create("tandem-serverless");
        HttpClient client = HttpClient.newHttpClient();
        List<Figures> results = new ArrayList<>();
        for (Example example : examples) {
            Path pipeline = root.resolve("examples").resolve(example.name()).resolve("pipeline.json");
            try (ServerProcess server = ServerProcess.start(
                    root,
                    pipeline,
                    example.name(),
                    work.resolve(example.name() + ".log"),
                    List.of("--serverless", "4", "--serverless-idle", IDLE),
                    example.contentType(),
                    example.body())) {
                results.add(measure(client, server, example, cycles));
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%nServerless cold starts: %d scale-to-zero cycles per example (idle %s), %d warm requests each%n",
                cycles,
                IDLE,
                WARM_PER_CYCLE);
        System.out.printf(
                Locale.ROOT,
                "%-12s %10s %10s %12s %10s %10s %12s%n",
                "example",
                "cold p50",
                "cold p99",
                "setup mean",
                "warm p50",
                "warm p99",
                "cold/warm");
        List<Long> direct = new ArrayList<>();
        for (int cycle = 0; cycle < Math.min(cycles, 10); cycle++) {
            direct.add(startIrisDirectly(root, client));
        }
        for (Figures figures : results) {
            double coldP50 = percentile(figures.cold(), 0.5);
            double warmP50 = percentile(figures.warm(), 0.5);
            System.out.printf(
                    Locale.ROOT,
                    "%-12s %8.1fms %8.1fms %10.1fms %8.2fms %8.2fms %11.0fx%n",
                    figures.name(),
                    coldP50,
                    percentile(figures.cold(), 0.99),
                    figures.setupMeanMs(),
                    warmP50,
                    percentile(figures.warm(), 0.99),
                    coldP50 / warmP50);
        }
        double own = percentile(direct, 0.5);
        Figures iris = results.get(results.size() - 1);
        System.out.printf(
                Locale.ROOT,
                "iris's three programs started by hand, in parallel, until each answers /ping: p50 %.1fms;"
                        + " Tandem's cold request p50 %.1fms adds %.1fms%n",
                own,
                percentile(iris.cold(), 0.5),
                percentile(iris.cold(), 0.5) - own);
    }

    /**
     * The baseline of a cold start of iris: its three container programs started as Tandem starts
     * them ({@code serve}, with the contract's environment), in parallel, timed until each answers
     * {@code /ping} with 200 (polled every millisecond); in microseconds.
     */
    private static long startIrisDirectly(Path root, HttpClient client) throws IOException, InterruptedException {
        Path iris = root.resolve("examples/iris");
        List<String[]> containers = List.of(
                new String[] {"preprocess", "model/scaler"},
                new String[] {"model", "model/classifier"},
                new String[] {"postprocess", "model"});
        List<Process> processes = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (String[] container : containers) {
                int port;
                try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
                    port = free.getLocalPort();
                }
                ProcessBuilder builder = new ProcessBuilder(
                                iris.resolve("containers")
                                        .resolve(container[0])
                                        .resolve("serve")
                                        .toString(),
                                "serve")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
                builder.environment().put("SAGEMAKER_BIND_TO_PORT", Integer.toString(port));
                builder.environment()
                        .put("SM_MODEL_DIR", iris.resolve(container[1]).toString());
                builder.environment().put("LABELS", "setosa,versicolor,virginica");
                processes.add(builder.start());
                ports.add(port);
            }
            for (int port : ports) {
                HttpRequest ping = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ping"))
                        .build();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (true) {
                    try {
                        if (client.send(ping, HttpResponse.BodyHandlers.discarding())
                                        .statusCode()
                                == 200) {
                            break;
                        }
                    } catch (IOException notYet) {
                        // Not listening yet.
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("iris container on port " + port + " did not start");
                    }
                    Thread.sleep(1);
                }
            }
            return (System.nanoTime() - start) / 1_000;
        } finally {
            for (Process process : processes) {
                process.descendants().forEach(ProcessHandle::destroy);
                process.destroy();
                process.waitFor();
            }
        }
    }

    private static Figures measure(HttpClient client, ServerProcess server, Example example, int cycles)
            throws IOException, InterruptedException {
        List<Long> cold = new ArrayList<>();
        List<Long> warm = new ArrayList<>();
        for (int cycle = 0; cycle < cycles; cycle++) {
            awaitNoInstance(client, server, example.name());
            cold.add(timedInvoke(client, server, example));
            for (int i = 0; i < WARM_PER_CYCLE; i++) {
                warm.add(timedInvoke(client, server, example));
            }
        }
        String metrics = scrape(client, server);
        double count = metric(metrics, "sagemaker_model_setup_time_seconds_count", example.name());
        double sum = metric(metrics, "sagemaker_model_setup_time_seconds_sum", example.name());
        return new Figures(example.name(), cold, warm, count == 0 ? Double.NaN : sum / count * 1_000);
    }

    /** Waits until the example's endpoint runs no instance: the server stopped it after IDLE. */
    private static void awaitNoInstance(HttpClient client, ServerProcess server, String endpoint)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (metric(scrape(client, server), "tandem_variant_instances", endpoint) > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(endpoint + " still runs an instance 30 s after its last request");
            }
            Thread.sleep(20);
        }
    }

    /** One request's time, in microseconds; fails unless it is answered 200. */
    private static long timedInvoke(HttpClient client, ServerProcess server, Example example)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + server.port() + "/endpoints/" + example.name() + "/invocations"))
                .header("Content-Type", example.contentType())
                .POST(HttpRequest.BodyPublishers.ofString(example.body()))
                .build();
        long start = System.nanoTime();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        long micros = (System.nanoTime() - start) / 1_000;
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    example.name() + " answered " + response.statusCode() + ": " + response.body());
        }
        return micros;
    }

    private static String scrape(HttpClient client, ServerProcess server) throws IOException, InterruptedException {
        return client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** A metric's value for an endpoint, 0 when it has none. */
    private static double metric(String metrics, String name, String endpoint) {
        Matcher matcher = Pattern.compile(
                        "(?m)^" + Pattern.quote(name) + "\\{endpoint=\"" + Pattern.quote(endpoint) + "\"[^}]*} (\\S+)$")
                .matcher(metrics);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }

    /** The {@code q} quantile of microsecond samples, in milliseconds. */
    private static double percentile(List<Long> micros, double q) {
        List<Long> sorted = micros.stream().sorted().toList();
        int index = (int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1);
        return sorted.get(Math.max(0, index)) / 1_000.0;
    }
}
