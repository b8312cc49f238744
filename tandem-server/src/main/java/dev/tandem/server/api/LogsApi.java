package dev.tandem.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.runtime.LogLine;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.Instance;
import dev.tandem.server.endpoint.Variant;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Containers' output: {@code GET /endpoints/{EndpointName}/logs[?container=HOST][&since=EPOCH_MILLIS][&limit=N]}
 * answers the most recent lines each container of the endpoint wrote (kept in memory, bounded per
 * container), oldest first, as JSON. {@code ./tandem logs} reads it.
 */
public final class LogsApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_LIMIT = 1000;

    private final EndpointRegistry endpoints;
    private final ErrorResponses errors;
    private final String accountId;

    public LogsApi(EndpointRegistry endpoints, ErrorResponses errors, String accountId) {
        this.endpoints = endpoints;
        this.errors = errors;
        this.accountId = accountId;
    }

    private record Entry(String variant, String instance, String container, LogLine line) {}

    public void handle(HttpServerRequest request, String endpointName) {
        String requestId = RequestIds.next();
        try {
            Endpoint endpoint = endpoints.require(endpointName, accountId);
            String container = request.getParam("container");
            long since = number(request.getParam("since"), "since", -1);
            int limit = (int) number(request.getParam("limit"), "limit", DEFAULT_LIMIT);
            List<Entry> entries = new ArrayList<>();
            for (Variant variant : endpoint.variants()) {
                for (Instance instance : variant.instances()) {
                    for (RunningContainer running : instance.containers()) {
                        if (container != null && !container.equals(running.hostname())) {
                            continue;
                        }
                        for (LogLine line : running.logs()) {
                            if (line.time().toEpochMilli() >= since) {
                                entries.add(new Entry(variant.name(), instance.id(), running.hostname(), line));
                            }
                        }
                    }
                }
            }
            entries.sort(Comparator.comparing((Entry e) -> e.line().time())
                    .thenComparing(Entry::instance)
                    .thenComparing(Entry::container)
                    .thenComparingLong(e -> e.line().sequence()));
            List<Entry> tail = entries.subList(Math.max(0, entries.size() - limit), entries.size());
            ObjectNode body = JSON.createObjectNode();
            body.put("EndpointName", endpoint.name());
            ArrayNode lines = body.putArray("Lines");
            for (Entry entry : tail) {
                ObjectNode line = lines.addObject();
                line.put("Time", entry.line().time().toEpochMilli());
                line.put("Variant", entry.variant());
                line.put("Instance", entry.instance());
                line.put("Container", entry.container());
                line.put("Stream", entry.line().stream());
                line.put("Sequence", entry.line().sequence());
                line.put("Message", entry.line().message());
            }
            String answer = body.toString();
            RequestLoop.answer(request, () -> request.response()
                    .putHeader("Content-Type", "application/json")
                    .putHeader("x-amzn-RequestId", requestId)
                    .end(answer));
        } catch (RuntimeException e) {
            errors.answer(request, requestId, e);
        }
    }

    private static long number(@Nullable String value, String name, long fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ValidationException("Query parameter " + name + " '" + value + "' is not a number.");
        }
    }
}
