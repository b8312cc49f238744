package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tandem endpoints}: the server's endpoints with their status, as ListEndpoints gives them. */
@Command(
        name = "endpoints",
        mixinStandardHelpOptions = true,
        description = "List the server's endpoints with their status (SageMaker's ListEndpoints and DescribeEndpoint).")
final class EndpointsCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    ServerUrl server;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            ObjectNode list = JSON.createObjectNode();
            list.put("SortBy", "Name");
            list.put("SortOrder", "Ascending");
            list.put("MaxResults", 100);
            ControlPlaneCalls calls = new ControlPlaneCalls(client, server.url);
            JsonNode endpoints = calls.call("ListEndpoints", list);
            out.printf("%-32s %-15s %-24s %s%n", "ENDPOINT", "STATUS", "LAST MODIFIED", "VARIANTS (instances, weight)");
            for (JsonNode endpoint : endpoints.path("Endpoints")) {
                ObjectNode describe = JSON.createObjectNode();
                describe.put("EndpointName", endpoint.path("EndpointName").asText());
                JsonNode detail = calls.call("DescribeEndpoint", describe);
                StringBuilder variants = new StringBuilder();
                for (JsonNode variant : detail.path("ProductionVariants")) {
                    variants.append(variants.isEmpty() ? "" : ", ")
                            .append(String.format(
                                    Locale.ROOT,
                                    "%s (%d/%d, %.2f)",
                                    variant.path("VariantName").asText(),
                                    variant.path("CurrentInstanceCount").asInt(),
                                    variant.path("DesiredInstanceCount").asInt(),
                                    variant.path("CurrentWeight").asDouble()));
                }
                out.printf(
                        "%-32s %-15s %-24s %s%n",
                        endpoint.path("EndpointName").asText(),
                        endpoint.path("EndpointStatus").asText(),
                        Instant.ofEpochMilli(
                                Math.round(endpoint.path("LastModifiedTime").asDouble() * 1000)),
                        variants);
                if (detail.hasNonNull("FailureReason")) {
                    out.println("    " + detail.path("FailureReason").asText());
                }
            }
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
