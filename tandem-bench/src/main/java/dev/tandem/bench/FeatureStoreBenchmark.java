package dev.tandem.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The feature store's figures, each against a baseline measured in the same run:
 *
 * <ol>
 *   <li>ingestion: records per second through BatchWriteRecord (25 a request, 8 requests in flight);
 *   <li>GetRecord over HTTP (a record of 10 features, random identifiers) against a plain route of
 *       the same server answering the same bytes: p50, p99 and throughput;
 *   <li>{@code builtin:feature-lookup}'s added time per row: a pipeline (lookup → identity) sent
 *       identifiers against the same pipeline without the lookup (identity → identity) sent the
 *       features themselves, with 1 and 100 rows a request.
 * </ol>
 *
 * Options: {@code --records N} (default 10000), {@code --seconds N} per measurement (default 8),
 * {@code --rate N} open-loop requests per second (default 1000), {@code --in-flight N} (default 16),
 * {@code --rounds N} of each comparison (default 2; the machine's noise shows as the spread),
 * {@code --redis} to keep the online store in a {@code redis-server} the benchmark starts (with its
 * append-only file synced every second, as a production Redis runs) instead of the embedded store.
 */
public final class FeatureStoreBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FEATURES = 8;

    public static void main(String[] args) throws Exception {
        int records = BenchmarkArgs.option(args, "--records", 10_000);
        int seconds = BenchmarkArgs.option(args, "--seconds", 8);
        int rate = BenchmarkArgs.option(args, "--rate", 1000);
        int inFlight = BenchmarkArgs.option(args, "--in-flight", 16);
        int rounds = BenchmarkArgs.option(args, "--rounds", 2);
        boolean redis = BenchmarkArgs.flag(args, "--redis");
        Vertx clientVertx = Vertx.vertx();
        String sample = sampleRecord();
        java.nio.file.Path work = WorkDirectory.create("tandem-bench");
        ServerConfig config = ServerConfig.defaults().withPort(0).withDataDir(work);
        try (RedisProcess store = redis ? RedisProcess.start(work.resolve("redis")) : null;
                TandemServer server = TandemServer.start(
                        store == null
                                ? config
                                : config.withFeatures(config.features().withRedis(store.uri())),
                        FeatureStoreBenchmark.class.getClassLoader(),
                        tandem -> plainRoute(tandem, sample))) {
            String storeName = redis ? "Redis store" : "embedded store";
            int port = server.port();
            createGroup(server);
            HttpClientAgent client = clientVertx.createHttpClient(
                    ContractClient.clientOptions(), new PoolOptions().setHttp1MaxSize(Math.max(inFlight, 8)));

            long start = System.nanoTime();
            ingest(client, port, records);
            double ingestSeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "Ingestion: %,d records of %d features through BatchWriteRecord in %.2f s: %,.0f records/s%n",
                    records,
                    FEATURES + 2,
                    ingestSeconds,
                    records / ingestSeconds);

            Supplier<Future<?>> getRecord = () -> request(
                    client,
                    port,
                    HttpMethod.GET,
                    "/FeatureGroup/bench?RecordIdentifierValueAsString=r-"
                            + ThreadLocalRandom.current().nextInt(records),
                    null,
                    null);
            Supplier<Future<?>> plain = () -> request(client, port, HttpMethod.GET, "/plain", null, null);
            Duration measure = Duration.ofSeconds(seconds);
            LoadGenerator.closedLoop(getRecord, inFlight, Duration.ofSeconds(3));
            LoadGenerator.closedLoop(plain, inFlight, Duration.ofSeconds(3));
            System.out.printf(
                    Locale.ROOT,
                    "%nGetRecord over HTTP: open loop %d req/s, closed loop %d in flight, %d s each, %d rounds%n",
                    rate,
                    inFlight,
                    seconds,
                    rounds);
            System.out.printf(Locale.ROOT, "  %-34s %8s %8s %10s%n", "", "p50 µs", "p99 µs", "req/s");
            for (int round = 1; round <= rounds; round++) {
                // Each round measures both, one after the other: a noisy spell hits a round, not a side.
                LoadGenerator.Latency getLatency = LoadGenerator.openLoop(getRecord, rate, measure);
                LoadGenerator.Latency plainLatency = LoadGenerator.openLoop(plain, rate, measure);
                LoadGenerator.Throughput getRate = LoadGenerator.closedLoop(getRecord, inFlight, measure);
                LoadGenerator.Throughput plainRate = LoadGenerator.closedLoop(plain, inFlight, measure);
                row("round " + round + ": GetRecord (" + storeName + ")", getLatency, getRate);
                row("round " + round + ": plain route, same bytes", plainLatency, plainRate);
                System.out.printf(
                        Locale.ROOT,
                        "  ratio: p50 %.2fx, p99 %.2fx, throughput %.2fx (errors: %d)%n",
                        getLatency.p50() / plainLatency.p50(),
                        getLatency.p99() / plainLatency.p99(),
                        getRate.perSecond() / plainRate.perSecond(),
                        getLatency.errors() + plainLatency.errors() + getRate.errors() + plainRate.errors());
            }

            deployLookup(server);
            System.out.printf(
                    Locale.ROOT,
                    "%nfeature-lookup's added time (open loop %d req/s, %d s each; identity → identity sent the"
                            + " features, lookup → identity sent the ids):%n",
                    rate,
                    seconds);
            System.out.printf(Locale.ROOT, "  %-34s %8s %8s %14s%n", "", "p50 µs", "p99 µs", "added/row µs");
            for (int rows : new int[] {1, 100}) {
                int lookupRate = rows == 1 ? rate : Math.max(50, rate / 10);
                StringBuilder ids = new StringBuilder();
                StringBuilder features = new StringBuilder();
                for (int i = 0; i < rows; i++) {
                    ids.append("r-").append(i).append('\n');
                    features.append(featureRow(i)).append('\n');
                }
                Buffer idBody = Buffer.buffer(ids.toString());
                Buffer featureBody = Buffer.buffer(features.toString());
                Supplier<Future<?>> withLookup = () ->
                        request(client, port, HttpMethod.POST, "/endpoints/lookup/invocations", "text/csv", idBody);
                Supplier<Future<?>> without = () -> request(
                        client, port, HttpMethod.POST, "/endpoints/no-lookup/invocations", "text/csv", featureBody);
                LoadGenerator.closedLoop(withLookup, inFlight, Duration.ofSeconds(2));
                LoadGenerator.closedLoop(without, inFlight, Duration.ofSeconds(2));
                for (int round = 1; round <= rounds; round++) {
                    LoadGenerator.Latency with = LoadGenerator.openLoop(withLookup, lookupRate, measure);
                    LoadGenerator.Latency base = LoadGenerator.openLoop(without, lookupRate, measure);
                    System.out.printf(
                            Locale.ROOT,
                            "  %-34s %8.0f %8.0f%n",
                            "round " + round + ", " + rows + " row(s): identity",
                            base.p50(),
                            base.p99());
                    System.out.printf(
                            Locale.ROOT,
                            "  %-34s %8.0f %8.0f %14.1f   (errors: %d)%n",
                            "round " + round + ", " + rows + " row(s): lookup",
                            with.p50(),
                            with.p99(),
                            (with.p50() - base.p50()) / rows,
                            with.errors() + base.errors());
                }
            }
        } finally {
            clientVertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    private static void row(String name, LoadGenerator.Latency latency, LoadGenerator.Throughput throughput) {
        System.out.printf(
                Locale.ROOT,
                "  %-34s %8.0f %8.0f %10.0f%n",
                name,
                latency.p50(),
                latency.p99(),
                throughput.perSecond());
    }

    private static void createGroup(TandemServer server) throws Exception {
        ObjectNode request = JSON.createObjectNode();
        request.put("FeatureGroupName", "bench");
        request.put("RecordIdentifierFeatureName", "id");
        request.put("EventTimeFeatureName", "t");
        ArrayNode definitions = request.putArray("FeatureDefinitions");
        definitions.addObject().put("FeatureName", "id").put("FeatureType", "String");
        definitions.addObject().put("FeatureName", "t").put("FeatureType", "String");
        for (int f = 0; f < FEATURES; f++) {
            definitions.addObject().put("FeatureName", "f" + f).put("FeatureType", "Fractional");
        }
        request.putObject("OnlineStoreConfig").put("EnableOnlineStore", true);
        server.featureStore().groups().create(request);
    }

    private static void ingest(HttpClientAgent client, int port, int records) {
        List<Future<?>> batches = new ArrayList<>();
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(8);
        for (int from = 0; from < records; from += 25) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode entries = body.putArray("Entries");
            for (int i = from; i < Math.min(records, from + 25); i++) {
                ObjectNode entry = entries.addObject();
                entry.put("FeatureGroupName", "bench");
                ArrayNode record = entry.putArray("Record");
                record.addObject().put("FeatureName", "id").put("ValueAsString", "r-" + i);
                record.addObject().put("FeatureName", "t").put("ValueAsString", "2026-01-01T00:00:00Z");
                String[] values = featureRow(i).split(",", -1);
                for (int f = 0; f < FEATURES; f++) {
                    record.addObject().put("FeatureName", "f" + f).put("ValueAsString", values[f]);
                }
            }
            inFlight.acquireUninterruptibly();
            Future<?> sent = request(
                            client,
                            port,
                            HttpMethod.POST,
                            "/BatchWriteRecord",
                            "application/json",
                            Buffer.buffer(body.toString()))
                    .andThen(done -> inFlight.release());
            batches.add(sent);
        }
        Future.all(batches).toCompletionStage().toCompletableFuture().join();
    }

    private static void deployLookup(TandemServer server) throws Exception {
        server.servePipeline(
                """
                {"ModelName": "lookup", "Containers": [
                  {"ContainerHostname": "lookup", "Image": "builtin:feature-lookup",
                   "Environment": {"TANDEM_FEATURE_GROUP": "bench"}},
                  {"ContainerHostname": "model", "Image": "builtin:identity"}]}
                """
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                WorkDirectory.create("tandem-bench"));
        server.servePipeline(
                """
                {"ModelName": "no-lookup", "Containers": [
                  {"ContainerHostname": "first", "Image": "builtin:identity"},
                  {"ContainerHostname": "model", "Image": "builtin:identity"}]}
                """
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                WorkDirectory.create("tandem-bench"));
        for (String endpoint : new String[] {"lookup", "no-lookup"}) {
            while (!server.controlPlane().endpoint(endpoint).status().equals("InService")) {
                Thread.sleep(10);
            }
        }
    }

    private static String featureRow(int i) {
        StringBuilder row = new StringBuilder();
        for (int f = 0; f < FEATURES; f++) {
            row.append(f == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.4f", (i * 31 + f * 7) % 1000 / 10.0));
        }
        return row.toString();
    }

    /** A GetRecord answer's bytes, for the plain route to answer. */
    private static String sampleRecord() {
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode record = answer.putArray("Record");
        record.addObject().put("FeatureName", "id").put("ValueAsString", "r-1");
        record.addObject().put("FeatureName", "t").put("ValueAsString", "2026-01-01T00:00:00Z");
        String[] values = featureRow(1).split(",", -1);
        for (int f = 0; f < FEATURES; f++) {
            record.addObject().put("FeatureName", "f" + f).put("ValueAsString", values[f]);
        }
        return answer.toString();
    }

    /** Serves {@code GET /plain} with {@code body} on the event loop: the cheapest route the server has. */
    private static Handler<HttpServerRequest> plainRoute(Handler<HttpServerRequest> tandem, String body) {
        return request -> {
            if (request.path().equals("/plain")) {
                request.response().putHeader("Content-Type", "application/json").end(body);
            } else {
                tandem.handle(request);
            }
        };
    }

    private static Future<Buffer> request(
            HttpClientAgent client,
            int port,
            HttpMethod method,
            String uri,
            @Nullable String contentType,
            @Nullable Buffer body) {
        RequestOptions options = new RequestOptions()
                .setMethod(method)
                .setHost("127.0.0.1")
                .setPort(port)
                .setURI(uri)
                .setIdleTimeout(10_000);
        if (contentType != null) {
            options.putHeader("Content-Type", contentType);
        }
        return client.request(options).compose(request -> (body == null ? request.send() : request.send(body))
                .compose(response -> response.statusCode() == 200
                        ? response.body()
                        : response.body()
                                .compose(text -> Future.failedFuture("HTTP " + response.statusCode() + ": " + text))));
    }
}
