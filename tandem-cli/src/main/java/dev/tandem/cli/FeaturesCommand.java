package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tandem features}: the feature store from the command line, for people without the AWS
 * CLI — {@code create} a feature group from a CreateFeatureGroup body, {@code ingest} a CSV file
 * into it, {@code get} one record.
 */
@Command(
        name = "features",
        mixinStandardHelpOptions = true,
        description = "Write and read feature-store records (SageMaker Feature Store's runtime).",
        subcommands = {FeaturesCommand.Create.class, FeaturesCommand.Ingest.class, FeaturesCommand.Get.class})
final class FeaturesCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FeaturesCommand() {}

    /** {@code tandem features create --file GROUP.json}: CreateFeatureGroup with the file as its body. */
    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = "Create a feature group from a CreateFeatureGroup request body (JSON).")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerUrl server;

        @Option(names = "--file", required = true, description = "The CreateFeatureGroup request, as JSON.")
        Path file;

        @Override
        public Integer call() throws IOException, InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            JsonNode body;
            try {
                body = JSON.readTree(file.toFile());
            } catch (IOException e) {
                err.println("error: cannot read " + file + " as JSON: " + e.getMessage());
                return 2;
            }
            try (HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()) {
                JsonNode created = new ControlPlaneCalls(client, server.url).call("CreateFeatureGroup", body);
                out.println(created.path("FeatureGroupArn").asText());
                out.flush();
                return 0;
            } catch (ConnectException e) {
                err.println("error: cannot connect to " + server.url + " (is `./tandem serve` running?)");
                return 1;
            } catch (ControlPlaneCalls.ApiError e) {
                err.println(e.getMessage());
                return 1;
            }
        }
    }

    /**
     * {@code tandem features ingest GROUP --file F.csv}: each row a record, its header the feature
     * names; an empty cell is a feature left out (as the SageMaker Python SDK leaves out nulls).
     * Rows go 25 to a BatchWriteRecord, a few batches at a time.
     */
    @Command(
            name = "ingest",
            mixinStandardHelpOptions = true,
            description = "Write every row of a CSV file (with a header naming the features) as a record.")
    static final class Ingest implements Callable<Integer> {
        private static final int BATCH = 25;

        @Spec
        CommandSpec spec;

        @Mixin
        ServerUrl server;

        @Parameters(index = "0", description = "The feature group.")
        String group;

        @Option(names = "--file", required = true, description = "The CSV file; its first line names the features.")
        Path file;

        @Option(
                names = "--concurrency",
                defaultValue = "4",
                description = "Batches in flight at once (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Override
        public Integer call() throws IOException, InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!Files.isRegularFile(file)) {
                err.println("error: no file " + file);
                return 2;
            }
            long totalRows = countRows(file);
            Progress progress = new Progress(err, Terminal.attached(), totalRows);
            AtomicLong failed = new AtomicLong();
            AtomicReference<String> firstError = new AtomicReference<>();
            Semaphore inFlight = new Semaphore(concurrency);
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            try (HttpClient client = HttpClient.newBuilder()
                            .connectTimeout(Duration.ofSeconds(5))
                            .build();
                    Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                    MappingIterator<List<String>> rows = new CsvMapper()
                            .enable(CsvParser.Feature.WRAP_AS_ARRAY)
                            .readerForListOf(String.class)
                            .readValues(reader)) {
                if (!rows.hasNext()) {
                    err.println("error: " + file + " is empty; its first line must name the features");
                    return 2;
                }
                List<String> header = rows.next();
                ArrayNode entries = JSON.createArrayNode();
                while (rows.hasNext()) {
                    entries.add(entry(header, rows.next()));
                    if (entries.size() == BATCH) {
                        pending.add(send(client, entries, inFlight, progress, failed, firstError));
                        entries = JSON.createArrayNode();
                    }
                }
                if (!entries.isEmpty()) {
                    pending.add(send(client, entries, inFlight, progress, failed, firstError));
                }
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                        .join();
            } catch (ConnectException e) {
                err.println("error: cannot connect to " + server.url + " (is `./tandem serve` running?)");
                return 1;
            }
            progress.done();
            long written = progress.rows() - failed.get();
            out.printf(
                    Locale.ROOT,
                    "%,d rows written to %s in %.1f s (%,.0f rows/s), %,d failed%n",
                    written,
                    group,
                    progress.seconds(),
                    progress.rows() / Math.max(progress.seconds(), 1e-3),
                    failed.get());
            if (firstError.get() != null) {
                out.println("first failure: " + firstError.get());
            }
            out.flush();
            return failed.get() == 0 ? 0 : 1;
        }

        private ObjectNode entry(List<String> header, List<String> row) {
            ObjectNode entry = JSON.createObjectNode();
            entry.put("FeatureGroupName", group);
            ArrayNode record = entry.putArray("Record");
            for (int i = 0; i < Math.min(header.size(), row.size()); i++) {
                if (!row.get(i).isEmpty()) {
                    record.addObject().put("FeatureName", header.get(i).trim()).put("ValueAsString", row.get(i));
                }
            }
            return entry;
        }

        private CompletableFuture<Void> send(
                HttpClient client,
                ArrayNode entries,
                Semaphore inFlight,
                Progress progress,
                AtomicLong failed,
                AtomicReference<String> firstError)
                throws InterruptedException {
            inFlight.acquire();
            ObjectNode body = JSON.createObjectNode();
            body.set("Entries", entries);
            HttpRequest request = HttpRequest.newBuilder(server.url.resolve("/BatchWriteRecord"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                    .build();
            int size = entries.size();
            return client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .handle((response, error) -> {
                        try {
                            if (error != null) {
                                failed.addAndGet(size);
                                firstError.compareAndSet(null, String.valueOf(error.getMessage()));
                            } else if (response.statusCode() != 200) {
                                failed.addAndGet(size);
                                firstError.compareAndSet(null, errorText(response));
                            } else {
                                JsonNode errors = JSON.readTree(response.body()).path("Errors");
                                failed.addAndGet(errors.size());
                                if (!errors.isEmpty()) {
                                    firstError.compareAndSet(
                                            null,
                                            errors.get(0).path("ErrorCode").asText() + ": "
                                                    + errors.get(0)
                                                            .path("ErrorMessage")
                                                            .asText());
                                }
                            }
                        } catch (IOException e) {
                            failed.addAndGet(size);
                            firstError.compareAndSet(null, "an answer that is not JSON: " + e.getMessage());
                        } finally {
                            progress.add(size);
                            inFlight.release();
                        }
                        return null;
                    });
        }

        private static long countRows(Path file) throws IOException {
            try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
                return Math.max(0, lines.filter(line -> !line.isBlank()).count() - 1);
            }
        }
    }

    /** {@code tandem features get GROUP ID}: one record, a feature per line. */
    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print one record (GetRecord).")
    static final class Get implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerUrl server;

        @Parameters(index = "0", description = "The feature group.")
        String group;

        @Parameters(index = "1", description = "The record identifier.")
        String id;

        @Option(names = "--feature", description = "Only this feature (repeatable).")
        List<String> features = new ArrayList<>();

        @Override
        public Integer call() throws IOException, InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            StringBuilder query = new StringBuilder("?RecordIdentifierValueAsString=").append(encode(id));
            features.forEach(f -> query.append("&FeatureName=").append(encode(f)));
            try (HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()) {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(server.url.resolve("/FeatureGroup/" + encode(group) + query))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    err.println(errorText(response));
                    return 1;
                }
                JsonNode record = JSON.readTree(response.body()).path("Record");
                if (record.isEmpty()) {
                    err.println("no record " + id + " in feature group " + group);
                    return 1;
                }
                for (JsonNode feature : record) {
                    JsonNode list = feature.get("ValueAsStringList");
                    out.println(feature.path("FeatureName").asText() + " = "
                            + (list != null
                                    ? list.toString()
                                    : feature.path("ValueAsString").asText()));
                }
                out.flush();
                return 0;
            } catch (ConnectException e) {
                err.println("error: cannot connect to " + server.url + " (is `./tandem serve` running?)");
                return 1;
            }
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A rest-json error as "Type: message". */
    private static String errorText(HttpResponse<String> response) {
        String type = response.headers().firstValue("x-amzn-ErrorType").orElse("HTTP " + response.statusCode());
        try {
            return type + ": " + JSON.readTree(response.body()).path("message").asText(response.body());
        } catch (IOException e) {
            return type + ": " + response.body();
        }
    }

    /** Rows sent, their share of the file's and the rate so far. */
    private static final class Progress {
        private final ProgressLine line;
        private final long total;
        private final long started = System.nanoTime();
        private final AtomicLong rows = new AtomicLong();

        Progress(PrintWriter err, boolean terminal, long total) {
            this.line = new ProgressLine(err, terminal, "ingest");
            this.total = total;
        }

        long rows() {
            return rows.get();
        }

        double seconds() {
            return (System.nanoTime() - started) / 1e9;
        }

        void add(int count) {
            long done = rows.addAndGet(count);
            double fraction = total == 0 ? 1 : Math.min(1, (double) done / total);
            line.show(
                    fraction,
                    String.format(
                            Locale.ROOT,
                            "%5.1f%%  %,d/%,d rows  %,.0f rows/s",
                            fraction * 100,
                            done,
                            total,
                            done / Math.max(seconds(), 1e-3)));
        }

        void done() {
            line.end();
        }
    }
}
