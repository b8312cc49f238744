package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Calls to a Tandem server's SageMaker control plane (JSON 1.1) and its own GET routes. */
final class ControlPlaneCalls {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client;
    private final URI server;

    ControlPlaneCalls(HttpClient client, URI server) {
        this.client = client;
        this.server = server;
    }

    /** Calls {@code operation}; throws {@link ApiError} with SageMaker's error type and message. */
    JsonNode call(String operation, JsonNode body) throws IOException, InterruptedException {
        return answer(client.send(
                HttpRequest.newBuilder(server.resolve("/"))
                        .header("Content-Type", "application/x-amz-json-1.1")
                        .header("X-Amz-Target", "SageMaker." + operation)
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                        .build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        return answer(client.send(
                HttpRequest.newBuilder(server.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static JsonNode answer(HttpResponse<String> response) throws IOException {
        JsonNode answer = JSON.readTree(response.body());
        if (response.statusCode() != 200) {
            throw new ApiError(answer.path("__type").asText("HTTP " + response.statusCode()) + ": "
                    + answer.path("message").asText(response.body()));
        }
        return answer;
    }

    /** The server refused a call. */
    static final class ApiError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ApiError(String message) {
            super(message);
        }
    }
}
