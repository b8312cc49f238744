package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import dev.tandem.server.batch.TransformJobs;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tandem transform}: runs a batch transform job (CreateTransformJob) against a running
 * server, or an embedded one serving {@code --pipeline FILE}, and follows it to the end with a
 * progress bar on a terminal, plain progress lines otherwise.
 */
@Command(
        name = "transform",
        mixinStandardHelpOptions = true,
        description = "Run a batch transform job: every record of the input through a model, results to the output.")
final class TransformCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    ServerUrl server;

    @Option(names = "--model", description = "The model (CreateModel) to run; with --pipeline, its ModelName.")
    @Nullable
    String model;

    @Option(
            names = "--pipeline",
            paramLabel = "FILE",
            description = "Run embedded: start a server for this pipeline file instead of using --url.")
    @Nullable
    Path pipeline;

    @Option(
            names = "--input",
            required = true,
            paramLabel = "URI",
            description = "A folder, a file prefix, or file:URI (every file under it is an input).")
    String input;

    @Option(names = "--manifest", description = "--input names a manifest file listing the inputs.")
    boolean manifest;

    @Option(names = "--output", required = true, paramLabel = "URI", description = "The folder for NAME.out files.")
    String output;

    @Option(names = "--name", description = "The job's name (default: the model's name and the time).")
    @Nullable
    String name;

    @Option(names = "--content-type", description = "The records' Content-Type.")
    @Nullable
    String contentType;

    @Option(names = "--accept", description = "The Accept asked of the model.")
    @Nullable
    String accept;

    @Option(
            names = "--split-type",
            defaultValue = "Line",
            description = "None (a file is one request), Line or RecordIO (default: ${DEFAULT-VALUE}).")
    String splitType;

    @Option(names = "--strategy", description = "SingleRecord or MultiRecord (default: the container's choice).")
    @Nullable
    String strategy;

    @Option(names = "--max-payload-mb", description = "The largest request, in MB (default: 6).")
    @Nullable
    Integer maxPayloadMb;

    @Option(names = "--concurrency", description = "Requests in flight per instance (default: 1).")
    @Nullable
    Integer concurrency;

    @Option(names = "--instances", defaultValue = "1", description = "Instances of the model (default: 1).")
    int instances;

    @Option(names = "--gzip", description = "The inputs are gzip-compressed.")
    boolean gzip;

    @Option(
            names = "--assemble-with",
            defaultValue = "Line",
            description = "Line (a newline after each record's output) or None (default: ${DEFAULT-VALUE}).")
    String assembleWith;

    @Option(names = "--input-filter", description = "JSONPath selecting what of each record the model sees.")
    @Nullable
    String inputFilter;

    @Option(names = "--output-filter", description = "JSONPath selecting what of each result is written.")
    @Nullable
    String outputFilter;

    @Option(names = "--join", description = "Join each input record with its result (JoinSource Input).")
    boolean join;

    @Option(
            names = "--engine",
            paramLabel = "local|spark",
            description = "Where the job runs: on the server's machine, or on the Spark cluster it was started with"
                    + " (--spark-master); sets the job's Environment TANDEM_BATCH_ENGINE (default: the server's"
                    + " choice).")
    @Nullable
    String engine;

    @Mixin
    SparkOptions spark;

    @Option(
            names = "--data-dir",
            description = "With --pipeline: the embedded server's data folder (default: a temporary one).")
    @Nullable
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (pipeline != null) {
            return embedded(pipeline, err);
        }
        if (model == null) {
            err.println("error: give --model NAME (a server's model) or --pipeline FILE (run embedded)");
            return 2;
        }
        return run(server.url, model, err);
    }

    private int embedded(Path file, PrintWriter err) throws Exception {
        Path data = dataDir != null ? dataDir : Files.createTempDirectory("tandem-transform");
        ServerConfig config;
        try {
            config = spark.applyTo(
                    ServerConfig.defaults().withPort(0).withHost("127.0.0.1").withDataDir(data));
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        try (TandemServer tandem = TandemServer.start(config)) {
            JsonNode definition = JSON.readTree(file.toFile());
            String modelName =
                    model != null ? model : definition.path("ModelName").asText();
            ((ObjectNode) definition).put("ModelName", modelName);
            Path folder = file.toAbsolutePath().getParent();
            tandem.controlPlane().createModel(definition, folder == null ? Path.of("/") : folder);
            return run(URI.create("http://127.0.0.1:" + tandem.port()), modelName, err);
        }
    }

    private int run(URI url, String modelName, PrintWriter err) throws IOException, InterruptedException {
        String jobName =
                name != null ? name : (modelName + "-" + System.currentTimeMillis()).replaceAll("[^a-zA-Z0-9-]", "-");
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            ControlPlaneCalls calls = new ControlPlaneCalls(client, url);
            calls.call("CreateTransformJob", request(jobName, modelName));
            Thread stopper = Thread.ofPlatform().unstarted(() -> stop(calls, jobName));
            Runtime.getRuntime().addShutdownHook(stopper);
            try {
                return follow(calls, jobName, err);
            } finally {
                Runtime.getRuntime().removeShutdownHook(stopper);
            }
        } catch (ConnectException e) {
            err.println("error: cannot connect to " + url + " (is `./tandem serve` running?)");
            return 1;
        } catch (ControlPlaneCalls.ApiError e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /** Ctrl-C stops the job on the server, as StopTransformJob would. */
    private static void stop(ControlPlaneCalls calls, String jobName) {
        try {
            ObjectNode request = JSON.createObjectNode();
            request.put("TransformJobName", jobName);
            calls.call("StopTransformJob", request);
        } catch (IOException | InterruptedException | RuntimeException e) {
            // the job has ended, or the server is gone
        }
    }

    private ObjectNode request(String jobName, String modelName) {
        ObjectNode request = JSON.createObjectNode();
        request.put("TransformJobName", jobName);
        request.put("ModelName", modelName);
        ObjectNode in = request.putObject("TransformInput");
        ObjectNode source = in.putObject("DataSource").putObject("S3DataSource");
        source.put("S3DataType", manifest ? "ManifestFile" : "S3Prefix");
        source.put("S3Uri", location(input));
        if (contentType != null) {
            in.put("ContentType", contentType);
        }
        in.put("SplitType", splitType);
        in.put("CompressionType", gzip ? "Gzip" : "None");
        ObjectNode out = request.putObject("TransformOutput");
        out.put("S3OutputPath", location(output));
        out.put("AssembleWith", assembleWith);
        if (accept != null) {
            out.put("Accept", accept);
        }
        ObjectNode resources = request.putObject("TransformResources");
        resources.put("InstanceType", "ml.m5.large");
        resources.put("InstanceCount", instances);
        if (strategy != null) {
            request.put("BatchStrategy", strategy);
        }
        if (engine != null) {
            request.putObject("Environment").put(TransformJobs.ENGINE_VARIABLE, engine);
        }
        if (maxPayloadMb != null) {
            request.put("MaxPayloadInMB", maxPayloadMb);
        }
        if (concurrency != null) {
            request.put("MaxConcurrentTransforms", concurrency);
        }
        if (inputFilter != null || outputFilter != null || join) {
            ObjectNode processing = request.putObject("DataProcessing");
            if (inputFilter != null) {
                processing.put("InputFilter", inputFilter);
            }
            if (outputFilter != null) {
                processing.put("OutputFilter", outputFilter);
            }
            processing.put("JoinSource", join ? "Input" : "None");
        }
        return request;
    }

    /** A plain path becomes an absolute {@code file:} location; URIs pass unchanged. */
    private static String location(String text) {
        if (text.contains(":")) {
            return text;
        }
        String absolute = Path.of(text).toAbsolutePath().normalize().toString();
        return "file:" + absolute + (text.endsWith("/") ? "/" : "");
    }

    private int follow(ControlPlaneCalls calls, String jobName, PrintWriter err)
            throws IOException, InterruptedException {
        ProgressDisplay display = new ProgressDisplay(err, Terminal.attached(), jobName);
        while (true) {
            JsonNode state = calls.get("/transform-jobs/" + jobName + "/progress");
            String status = state.path("TransformJobStatus").asText();
            display.show(status, state.path("Progress"));
            switch (status) {
                case "Completed" -> {
                    display.done("completed");
                    return 0;
                }
                case "Stopped" -> {
                    display.done("stopped");
                    return 1;
                }
                case "Failed" -> {
                    display.done("failed: " + state.path("FailureReason").asText());
                    return 1;
                }
                default -> Thread.sleep(display.interval().toMillis());
            }
        }
    }

    /** Records, bytes, rate and ETA: redrawn in place on a terminal, a line every few seconds otherwise. */
    private static final class ProgressDisplay {
        private final PrintWriter err;
        private final boolean terminal;
        private final String job;
        private final ProgressLine line;
        private final long started = System.nanoTime();

        ProgressDisplay(PrintWriter err, boolean terminal, String job) {
            this.err = err;
            this.terminal = terminal;
            this.job = job;
            this.line = new ProgressLine(err, terminal, "transform " + job);
        }

        Duration interval() {
            return Duration.ofMillis(terminal ? 200 : 250);
        }

        void show(String status, JsonNode progress) {
            if (progress.isMissingNode()) {
                return;
            }
            long total = progress.path("BytesTotal").asLong();
            long read = progress.path("BytesRead").asLong();
            double seconds = Math.max((System.nanoTime() - started) / 1e9, 1e-3);
            double rate = read / seconds;
            double fraction = total == 0 ? 0 : Math.min(1, (double) read / total);
            String eta = rate <= 0 || fraction >= 1 ? "-" : formatSeconds((total - read) / rate);
            String text = String.format(
                    Locale.ROOT,
                    "%5.1f%%  %d/%d files  %,d records  %s/%s  %s/s  ETA %s  %s",
                    fraction * 100,
                    progress.path("FilesDone").asLong()
                            + progress.path("FilesFailed").asLong(),
                    progress.path("FilesTotal").asLong(),
                    progress.path("Records").asLong(),
                    size(read),
                    size(total),
                    size((long) rate),
                    eta,
                    status);
            line.show(fraction, text);
        }

        void done(String outcome) {
            line.end();
            err.printf(
                    Locale.ROOT,
                    "transform %s %s in %s%n",
                    job,
                    outcome,
                    formatSeconds((System.nanoTime() - started) / 1e9));
            err.flush();
        }

        private static String size(long bytes) {
            if (bytes < 1024) {
                return bytes + " B";
            }
            if (bytes < 1024 * 1024) {
                return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
            }
            if (bytes < 1024L * 1024 * 1024) {
                return String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
            }
            return String.format(Locale.ROOT, "%.2f GB", bytes / 1073741824.0);
        }

        private static String formatSeconds(double seconds) {
            long whole = Math.round(seconds);
            return whole < 60 ? whole + " s" : String.format(Locale.ROOT, "%d:%02d", whole / 60, whole % 60);
        }
    }
}
