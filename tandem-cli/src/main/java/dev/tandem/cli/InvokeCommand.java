package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.server.api.EventStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
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

/** {@code tandem invoke}: calls an endpoint as InvokeEndpoint does and prints the answer. */
@Command(
        name = "invoke",
        mixinStandardHelpOptions = true,
        description = {
            "Invoke an endpoint (SageMaker's InvokeEndpoint) and print the response body.",
            "Errors are printed with their SageMaker error code, and the exit status is 1."
        })
final class InvokeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ENDPOINT", description = "The endpoint's name.")
    String endpoint;

    @Mixin
    ServerUrl server;

    @Option(names = "--content-type", description = "Content-Type of the body, e.g. text/csv.")
    @Nullable
    String contentType;

    @Option(names = "--accept", description = "Accept: the format wanted from the last container.")
    @Nullable
    String accept;

    @Option(
            names = "--custom-attributes",
            description = "X-Amzn-SageMaker-Custom-Attributes, passed to every container.")
    @Nullable
    String customAttributes;

    @Option(names = "--target-container", description = "The container to run, on a Direct-mode endpoint.")
    @Nullable
    String targetContainer;

    @Option(names = "--target-variant", description = "The production variant to invoke.")
    @Nullable
    String targetVariant;

    @Option(
            names = "--stream",
            description = {
                "Ask for the answer as a stream (InvokeEndpointWithResponseStream) and print its parts as they"
                        + " arrive."
            })
    boolean stream;

    @Option(
            names = {"-v", "--verbose"},
            description = "Print the status and response headers (Server-Timing among them) to stderr.")
    boolean verbose;

    @Option(
            names = "--timeout",
            defaultValue = "5m",
            description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--body", paramLabel = "TEXT", description = "The request body, as text.")
        @Nullable
        String body;

        @Option(
                names = "--file",
                paramLabel = "FILE",
                description = "A file holding the request body; - for standard input.")
        @Nullable
        Path file;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        byte[] body = requestBody();
        String target = server.url.toString().replaceAll("/+$", "") + "/endpoints/"
                + URLEncoder.encode(endpoint, StandardCharsets.UTF_8)
                + (stream ? "/invocations-response-stream" : "/invocations");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target))
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        header(request, "Content-Type", contentType);
        header(request, stream ? "X-Amzn-SageMaker-Accept" : "Accept", accept);
        header(request, "X-Amzn-SageMaker-Custom-Attributes", customAttributes);
        header(request, "X-Amzn-SageMaker-Target-Container-Hostname", targetContainer);
        header(request, "X-Amzn-SageMaker-Target-Variant", targetVariant);
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            return stream ? printStream(client, request.build(), err) : print(client, request.build(), err);
        } catch (ConnectException e) {
            err.println("error: cannot connect to " + server.url + " (is `./tandem serve` running?)");
            return 1;
        }
    }

    private int print(HttpClient client, HttpRequest request, PrintWriter err)
            throws IOException, InterruptedException {
        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        printHead(err, response);
        if (response.statusCode() / 100 != 2) {
            printError(err, response);
            return 1;
        }
        PrintStream out = System.out;
        out.write(response.body());
        out.flush();
        return 0;
    }

    /** Prints each part of a streamed answer the moment it arrives; an error event ends with status 1. */
    private int printStream(HttpClient client, HttpRequest request, PrintWriter err)
            throws IOException, InterruptedException {
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        printHead(err, response);
        try (InputStream body = response.body()) {
            if (response.statusCode() / 100 != 2) {
                printError(err, response.statusCode(), response.headers(), body.readAllBytes());
                return 1;
            }
            DataInputStream in = new DataInputStream(body);
            PrintStream out = System.out;
            for (EventStream.Message message = EventStream.read(in); message != null; message = EventStream.read(in)) {
                if ("PayloadPart".equals(message.header(":event-type"))) {
                    out.write(message.payload().unsafeArray());
                    out.flush();
                    continue;
                }
                String type = Objects.requireNonNullElse(
                        message.header(":exception-type"),
                        Objects.requireNonNullElse(message.header(":error-code"), "error"));
                JsonNode error = message.payload().isEmpty()
                        ? JSON.createObjectNode()
                        : JSON.readTree(message.payload().unsafeArray());
                out.flush();
                err.println();
                err.println(type
                        + (error.has("ErrorCode")
                                ? " (" + error.get("ErrorCode").asText() + ")"
                                : "") + ": "
                        + error.path("Message")
                                .asText(Objects.requireNonNullElse(message.header(":error-message"), "")));
                err.flush();
                return 1;
            }
        }
        return 0;
    }

    private void printHead(PrintWriter err, HttpResponse<?> response) {
        if (verbose) {
            err.println("HTTP " + response.statusCode());
            response.headers().map().forEach((name, values) -> {
                if (!name.startsWith(":")) {
                    values.forEach(v -> err.println(name + ": " + v));
                }
            });
            err.flush();
        }
    }

    private byte[] requestBody() throws IOException {
        String text = input.body;
        if (text != null) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        Path file = java.util.Objects.requireNonNull(input.file, "picocli requires --body or --file");
        return file.toString().equals("-") ? System.in.readAllBytes() : Files.readAllBytes(file);
    }

    /** Sets header {@code name} when {@code value} is given. */
    static void header(HttpRequest.Builder request, String name, @Nullable String value) {
        if (value != null) {
            request.header(name, value);
        }
    }

    static void printError(PrintWriter err, HttpResponse<byte[]> response) {
        printError(err, response.statusCode(), response.headers(), response.body());
    }

    static void printError(PrintWriter err, int status, HttpHeaders headers, byte[] body) {
        String code = headers.firstValue("x-amzn-ErrorType").orElse("HTTP " + status);
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode error = JSON.readTree(text);
            err.println(code + " (" + status + "): " + error.path("message").asText(text));
            if (error.has("OriginalStatusCode")) {
                err.println(
                        "  original status: " + error.get("OriginalStatusCode").asInt());
            }
            if (error.has("OriginalMessage")) {
                err.println(
                        "  original message: " + error.get("OriginalMessage").asText());
            }
        } catch (IOException e) {
            err.println(code + ": " + text);
        }
        err.flush();
    }
}
