package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.runtime.storage.Location;
import dev.tandem.runtime.storage.Locations;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tandem invoke-async}: queues a request on an asynchronous endpoint, as InvokeEndpointAsync
 * does, and prints its inference id and locations; with {@code --wait}, waits for the result and
 * prints it (or the failure).
 */
@Command(
        name = "invoke-async",
        mixinStandardHelpOptions = true,
        description = {
            "Invoke an asynchronous endpoint (SageMaker's InvokeEndpointAsync).",
            "Prints the inference id, the output location and the failure location. With --wait,"
                    + " waits until the request ends and prints its result, or its failure with exit status 1."
        })
final class InvokeAsyncCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** InvokeEndpointAsync's largest inline body; a larger file is named by its location instead. */
    private static final long MAX_INLINE = 128_000;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ENDPOINT", description = "The endpoint's name.")
    String endpoint;

    @Mixin
    ServerUrl server;

    @Option(names = "--content-type", description = "Content type of the input, e.g. text/csv.")
    @Nullable
    String contentType;

    @Option(names = "--accept", description = "The format wanted from the last container.")
    @Nullable
    String accept;

    @Option(names = "--custom-attributes", description = "X-Amzn-SageMaker-Custom-Attributes.")
    @Nullable
    String customAttributes;

    @Option(names = "--inference-id", description = "Your id for the request (default: one is generated).")
    @Nullable
    String inferenceId;

    @Option(
            names = "--request-ttl",
            description = "How long the request may wait in the queue, 60s to 6h (default: 6h).")
    @Nullable
    Duration requestTtl;

    @Option(
            names = "--invocation-timeout",
            description = "How long the pipeline may take once started, 1s to 1h (default: 15m).")
    @Nullable
    Duration invocationTimeout;

    @Option(names = "--wait", description = "Wait for the result and print it.")
    boolean await;

    @Option(
            names = "--wait-timeout",
            defaultValue = "1h",
            description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    Duration waitTimeout;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(
                names = "--file",
                paramLabel = "FILE",
                description = "The input; sent with the request when it is at most 128,000 bytes, else named"
                        + " by its location (file:), which the server reads.")
        @Nullable
        Path file;

        @Option(
                names = "--input-location",
                paramLabel = "URI",
                description = "Where the server reads the input: s3://bucket/key or file:/absolute/path.")
        @Nullable
        String location;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        String base = server.url.toString().replaceAll("/+$", "") + "/endpoints/"
                + URLEncoder.encode(endpoint, StandardCharsets.UTF_8) + "/async-invocations";
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base)).timeout(Duration.ofSeconds(60));
        String inputLocation = input.location;
        if (input.file != null) {
            Path file = input.file;
            if (!Files.isRegularFile(file)) {
                err.println("error: no file " + file);
                return 2;
            }
            if (Files.size(file) <= MAX_INLINE) {
                request.POST(HttpRequest.BodyPublishers.ofFile(file));
            } else {
                inputLocation = "file:" + file.toAbsolutePath().normalize();
                request.POST(HttpRequest.BodyPublishers.noBody());
            }
        } else {
            request.POST(HttpRequest.BodyPublishers.noBody());
        }
        InvokeCommand.header(request, "X-Amzn-SageMaker-InputLocation", inputLocation);
        InvokeCommand.header(request, "X-Amzn-SageMaker-Content-Type", contentType);
        InvokeCommand.header(request, "X-Amzn-SageMaker-Accept", accept);
        InvokeCommand.header(request, "X-Amzn-SageMaker-Custom-Attributes", customAttributes);
        InvokeCommand.header(request, "X-Amzn-SageMaker-Inference-Id", inferenceId);
        InvokeCommand.header(request, "X-Amzn-SageMaker-RequestTTLSeconds", seconds(requestTtl));
        InvokeCommand.header(request, "X-Amzn-SageMaker-InvocationTimeoutSeconds", seconds(invocationTimeout));
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<byte[]> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (ConnectException e) {
                err.println("error: cannot connect to " + server.url + " (is `./tandem serve` running?)");
                return 1;
            }
            if (response.statusCode() != 202) {
                InvokeCommand.printError(err, response);
                return 1;
            }
            String id = JSON.readTree(response.body()).path("InferenceId").asText();
            String output = response.headers()
                    .firstValue("X-Amzn-SageMaker-OutputLocation")
                    .orElse("");
            String failure = response.headers()
                    .firstValue("X-Amzn-SageMaker-FailureLocation")
                    .orElse("");
            PrintWriter info = await ? err : spec.commandLine().getOut();
            info.println("InferenceId: " + id);
            info.println("OutputLocation: " + output);
            info.println("FailureLocation: " + failure);
            info.flush();
            if (!await) {
                return 0;
            }
            return waitFor(client, URI.create(base + "/" + URLEncoder.encode(id, StandardCharsets.UTF_8)), err);
        }
    }

    /** Polls the request's status until it ends; prints the result or the failure. */
    private int waitFor(HttpClient client, URI status, PrintWriter err) throws IOException, InterruptedException {
        boolean terminal = Terminal.attached();
        long start = System.nanoTime();
        long deadline = start + waitTimeout.toNanos();
        String last = "";
        while (true) {
            HttpResponse<byte[]> response;
            try {
                response = client.send(
                        HttpRequest.newBuilder(status).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                err.println();
                err.println("error: lost the server at " + server.url + " (" + e + "); the request is kept in its"
                        + " queue and goes on when it is back");
                return 1;
            }
            if (response.statusCode() != 200) {
                InvokeCommand.printError(err, response);
                return 1;
            }
            JsonNode state = JSON.readTree(response.body());
            String current = state.path("Status").asText();
            long waited = Duration.ofNanos(System.nanoTime() - start).toSeconds();
            if (terminal) {
                err.print("\r" + current + " (" + waited + " s)   ");
                err.flush();
            } else if (!current.equals(last)) {
                err.println(current);
                err.flush();
            }
            last = current;
            switch (current) {
                case "Completed" -> {
                    if (terminal) {
                        err.println();
                    }
                    return print(state.path("OutputLocation").asText(), System.out, err);
                }
                case "Failed" -> {
                    if (terminal) {
                        err.println();
                    }
                    err.println("Failed: " + state.path("FailureReason").asText());
                    err.flush();
                    return 1;
                }
                default -> {
                    if (System.nanoTime() > deadline) {
                        err.println("error: still " + current + " after " + waitTimeout.toSeconds()
                                + " s; it goes on in the server");
                        return 1;
                    }
                    Thread.sleep(200);
                }
            }
        }
    }

    /** Copies the result object to {@code out}: a local file, or an object in the S3-compatible store. */
    private static int print(String location, PrintStream out, PrintWriter err) throws IOException {
        try (ObjectStore objects = new ObjectStore(S3Settings.fromEnvironment(System.getenv()));
                InputStream in = new Locations(objects).open(Location.parse(location, "OutputLocation"))) {
            in.transferTo(out);
            out.flush();
            return 0;
        } catch (RuntimeException e) {
            err.println("error: the result is at " + location + " but cannot be read here: " + e.getMessage());
            return 1;
        }
    }

    private static @Nullable String seconds(@Nullable Duration duration) {
        return duration == null
                ? null
                : Long.toString(Objects.requireNonNull(duration).toSeconds());
    }
}
