package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tandem logs}: what an endpoint's containers wrote, through the server. */
@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        description =
                "Print what an endpoint's containers wrote to stdout and stderr (and Tandem's events about them).")
final class LogsCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ENDPOINT", description = "The endpoint's name.")
    String endpoint;

    @Mixin
    ServerUrl server;

    @Option(names = "--container", description = "Only this container (its ContainerHostname).")
    @Nullable
    String container;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep printing new lines until interrupted.")
    boolean follow;

    @Option(
            names = "--tail",
            defaultValue = "200",
            description = "How many recent lines to start with (default: ${DEFAULT-VALUE}).")
    int tail;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Lines printed at the newest time seen: the next query starts at that time (the server
        // answers lines at or after it), so only they can come again. Older keys are dropped.
        Map<String, Long> printed = new HashMap<>();
        long since = -1;
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            while (true) {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(query(since)).GET().build(), HttpResponse.BodyHandlers.ofString());
                JsonNode body = JSON.readTree(response.body());
                if (response.statusCode() != 200) {
                    err.println(
                            response.headers().firstValue("x-amzn-ErrorType").orElse("HTTP " + response.statusCode())
                                    + ": " + body.path("message").asText(response.body()));
                    return 1;
                }
                for (JsonNode line : body.path("Lines")) {
                    String key = line.path("Instance").asText() + "/"
                            + line.path("Container").asText() + "/"
                            + line.path("Sequence").asLong();
                    if (printed.putIfAbsent(key, line.path("Time").asLong()) == null) {
                        out.printf(
                                "%s %s/%s %s: %s%n",
                                Instant.ofEpochMilli(line.path("Time").asLong()),
                                line.path("Instance").asText(),
                                line.path("Container").asText(),
                                line.path("Stream").asText(),
                                line.path("Message").asText());
                    }
                    since = Math.max(since, line.path("Time").asLong());
                }
                long newest = since;
                printed.values().removeIf(time -> time < newest);
                out.flush();
                if (!follow) {
                    return 0;
                }
                Thread.sleep(1000);
            }
        } catch (ConnectException e) {
            err.println("error: cannot connect to " + server.url + " (is `./tandem serve` running?)");
            return 1;
        }
    }

    private URI query(long since) {
        StringBuilder query = new StringBuilder("/endpoints/")
                .append(URLEncoder.encode(endpoint, StandardCharsets.UTF_8))
                .append("/logs?limit=")
                .append(since < 0 ? tail : 10_000);
        if (since >= 0) {
            query.append("&since=").append(since);
        }
        if (container != null) {
            query.append("&container=").append(URLEncoder.encode(container, StandardCharsets.UTF_8));
        }
        return server.url.resolve(query.toString());
    }
}
