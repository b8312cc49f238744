package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.server.batch.TransformJobSpec.Strategy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch settings a job runs with, by SageMaker's precedence: the request, then what the
 * container answers on {@code GET /execution-parameters}, then the defaults.
 */
public record ExecutionParameters(int maxPayloadMb, int maxConcurrent, Strategy strategy) {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionParameters.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The settings without asking any container: the request's, else the defaults. */
    static ExecutionParameters of(TransformJobSpec spec) {
        return new ExecutionParameters(
                spec.maxPayloadMb() != null ? spec.maxPayloadMb() : TransformJobSpec.DEFAULT_MAX_PAYLOAD_MB,
                spec.maxConcurrent() != null ? spec.maxConcurrent() : 1,
                spec.strategy() != null ? spec.strategy() : Strategy.SINGLE_RECORD);
    }

    /** Fills what the request left unset from the container's answer, when it gives one. */
    static ExecutionParameters resolve(TransformJobSpec spec, Optional<URI> container) {
        ExecutionParameters defaults = of(spec);
        if (container.isEmpty()
                || (spec.maxPayloadMb() != null && spec.maxConcurrent() != null && spec.strategy() != null)) {
            return defaults;
        }
        JsonNode answer = ask(container.get());
        if (answer == null) {
            return defaults;
        }
        int payload = spec.maxPayloadMb() != null
                ? spec.maxPayloadMb()
                : within(answer.path("MaxPayloadInMB").asInt(defaults.maxPayloadMb()), 1, 100);
        int concurrent = spec.maxConcurrent() != null
                ? spec.maxConcurrent()
                : within(answer.path("MaxConcurrentTransforms").asInt(defaults.maxConcurrent()), 1, 100);
        Strategy strategy = spec.strategy() != null
                ? spec.strategy()
                : answer.path("BatchStrategy").asText("").equals("MULTI_RECORD")
                                && spec.input().split() != TransformJobSpec.Split.NONE
                        ? Strategy.MULTI_RECORD
                        : defaults.strategy();
        return new ExecutionParameters(payload, concurrent, strategy);
    }

    private static @Nullable JsonNode ask(URI container) {
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpResponse<byte[]> response = client.send(
                    HttpRequest.newBuilder(container.resolve(container.getPath() + "/execution-parameters"))
                            .timeout(Duration.ofSeconds(2))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                return null;
            }
            JsonNode answer = JSON.readTree(response.body());
            return answer != null && answer.isObject() ? answer : null;
        } catch (IOException e) {
            LOG.debug("GET {}/execution-parameters: {}", container, e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static int within(int value, int min, int max) {
        return Math.max(min, Math.min(max, value));
    }
}
