package dev.tandem.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.server.features.FeatureGroup;
import dev.tandem.server.features.FeatureGroupStatus;
import dev.tandem.server.features.FeatureGroups;
import dev.tandem.server.features.FeatureStore;
import dev.tandem.server.features.FeatureValue;
import dev.tandem.server.features.TtlDuration;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * SageMaker Feature Store's runtime on the wire ({@code sagemaker-featurestore-runtime}, rest-json,
 * on the same port as everything else): PutRecord, GetRecord, DeleteRecord, BatchGetRecord,
 * BatchWriteRecord and ListRecords. Each runs on a virtual thread (a write commits to the disk, a
 * shared store is across the network) but a GetRecord from an in-process store, which is answered
 * on the event loop. Errors are the service's: {@code ValidationError} (400), {@code ResourceNotFound} (404).
 */
public final class FeatureStoreApi {
    /** The largest request read: 25 records of at most 350 KB each, and their JSON. */
    public static final long MAX_BODY = 16L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BATCH_GET = 100;
    private static final int MAX_BATCH_WRITE = 25;

    private final FeatureStore store;
    private final ErrorResponses errors;

    public FeatureStoreApi(FeatureStore store, ErrorResponses errors) {
        this.store = store;
        this.errors = errors;
    }

    /** {@code PUT|GET|DELETE /FeatureGroup/{name}}. */
    public void record(HttpServerRequest request, String group, byte[] body) {
        // Read on the event loop, which owns the request; the operation runs on a virtual thread.
        MultiMap params = request.params();
        String method = request.method().name();
        if (method.equals("GET") && store.readsWithoutWaiting()) {
            // A read of an in-process store is a map lookup: answered here, without a hand-off.
            answer(request, RequestIds.next(), () -> getRecord(group, params));
            return;
        }
        serve(request, () -> switch (method) {
            case "PUT" -> putRecord(group, body);
            case "GET" -> getRecord(group, params);
            default -> deleteRecord(group, params);
        });
    }

    /** {@code POST /FeatureGroup/{name}/ListRecords}. */
    public void listRecords(HttpServerRequest request, String group, byte[] body) {
        serve(request, () -> listRecords(group, parse(body)));
    }

    /** {@code POST /BatchGetRecord}. */
    public void batchGet(HttpServerRequest request, byte[] body) {
        serve(request, () -> batchGet(parse(body)));
    }

    /** {@code POST /BatchWriteRecord}. */
    public void batchWrite(HttpServerRequest request, byte[] body) {
        serve(request, () -> batchWrite(parse(body)));
    }

    private interface Operation {
        @Nullable
        ObjectNode run();
    }

    private void serve(HttpServerRequest request, Operation operation) {
        String requestId = RequestIds.next();
        Thread.ofVirtual().start(() -> answer(request, requestId, operation));
    }

    private void answer(HttpServerRequest request, String requestId, Operation operation) {
        try {
            ObjectNode answer = operation.run();
            String body = answer == null ? null : answer.toString();
            RequestLoop.answer(request, () -> {
                HttpServerResponse response = request.response()
                        .setStatusCode(200)
                        .putHeader("x-amzn-RequestId", requestId)
                        .putHeader("Content-Type", "application/json");
                if (body == null) {
                    response.end();
                } else {
                    response.end(body);
                }
            });
        } catch (RuntimeException e) {
            errors.answer(request, requestId, e);
        }
    }

    private @Nullable ObjectNode putRecord(String groupName, byte[] body) {
        JsonNode input = parse(body);
        FeatureGroup group = writable(groupName);
        FeatureStore.Write write = store.check(group, FeatureStore.record(required(input, "Record")));
        store.put(write, strings(input.get("TargetStores")), TtlDuration.fromJson(input.get("TtlDuration")));
        return null;
    }

    private ObjectNode getRecord(String groupName, MultiMap params) {
        FeatureGroup group = readable(groupName);
        String id = params.get("RecordIdentifierValueAsString");
        if (id == null) {
            throw new ValidationException("RecordIdentifierValueAsString is required.");
        }
        boolean withExpiry = expirationTimeResponse(params.get("ExpirationTimeResponse"));
        ObjectNode out = JSON.createObjectNode();
        store.get(group, id, params.getAll("FeatureName")).ifPresent(found -> {
            ArrayNode record = out.putArray("Record");
            found.features().forEach(value -> record.add(json(value)));
            if (withExpiry && found.expiresAt() != null) {
                out.put("ExpiresAt", expiresAt(found));
            }
        });
        return out;
    }

    private @Nullable ObjectNode deleteRecord(String groupName, MultiMap params) {
        FeatureGroup group = writable(groupName);
        String id = params.get("RecordIdentifierValueAsString");
        String eventTime = params.get("EventTime");
        if (id == null || eventTime == null) {
            throw new ValidationException("RecordIdentifierValueAsString and EventTime are required.");
        }
        String mode = Optional.ofNullable(params.get("DeletionMode")).orElse("SoftDelete");
        FeatureStore.DeletionMode deletion;
        try {
            deletion = FeatureStore.DeletionMode.valueOf(mode);
        } catch (IllegalArgumentException e) {
            throw new ValidationException("DeletionMode must be SoftDelete or HardDelete; was '" + mode + "'.");
        }
        store.delete(group, id, eventTime, params.getAll("TargetStores"), deletion);
        return null;
    }

    private ObjectNode listRecords(String groupName, JsonNode input) {
        FeatureGroup group = readable(groupName);
        int limit = input.path("MaxResults").asInt(100);
        if (limit < 1 || limit > 100) {
            throw new ValidationException("MaxResults must be from 1 to 100; was " + limit + ".");
        }
        String after =
                input.hasNonNull("NextToken") ? cursor(input.get("NextToken").asText()) : null;
        FeatureStore.Page page = store.list(
                group, after, limit, input.path("IncludeSoftDeletedRecords").asBoolean(false));
        ObjectNode out = JSON.createObjectNode();
        ArrayNode ids = out.putArray("RecordIdentifiers");
        page.ids().forEach(ids::add);
        if (page.lastId() != null && page.ids().size() == limit) {
            out.put(
                    "NextToken",
                    Base64.getUrlEncoder().encodeToString(page.lastId().getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private ObjectNode batchGet(JsonNode input) {
        JsonNode identifiers = required(input, "Identifiers");
        int total = 0;
        for (JsonNode identifier : identifiers) {
            total += identifier.path("RecordIdentifiersValueAsString").size();
        }
        if (identifiers.isEmpty() || total == 0 || total > MAX_BATCH_GET) {
            throw new ValidationException("BatchGetRecord takes from 1 to " + MAX_BATCH_GET
                    + " record identifiers across its Identifiers; this request has " + total + ".");
        }
        boolean withExpiry =
                expirationTimeResponse(input.path("ExpirationTimeResponse").asText(null));
        ObjectNode out = JSON.createObjectNode();
        ArrayNode records = out.putArray("Records");
        ArrayNode failures = out.putArray("Errors");
        out.putArray("UnprocessedIdentifiers");
        for (JsonNode identifier : identifiers) {
            String groupName = identifier.path("FeatureGroupName").asText();
            List<String> names = strings(identifier.get("FeatureNames"));
            List<String> ids = strings(identifier.get("RecordIdentifiersValueAsString"));
            Map<String, FeatureStore.Found> found;
            try {
                found = store.getAll(readable(groupName), ids, names);
            } catch (TandemException refused) {
                found = null; // an identifier or the group is wrong: one at a time, to say which
            }
            for (String id : ids) {
                try {
                    Optional<FeatureStore.Found> record = found != null
                            ? Optional.ofNullable(found.get(id))
                            : store.get(readable(groupName), id, names);
                    record.ifPresent(features -> {
                        ObjectNode detail = records.addObject();
                        detail.put("FeatureGroupName", groupName);
                        detail.put("RecordIdentifierValueAsString", id);
                        ArrayNode values = detail.putArray("Record");
                        features.features().forEach(value -> values.add(json(value)));
                        if (withExpiry && features.expiresAt() != null) {
                            detail.put("ExpiresAt", expiresAt(features));
                        }
                    });
                } catch (TandemException e) {
                    ObjectNode error = failures.addObject();
                    error.put("FeatureGroupName", groupName);
                    error.put("RecordIdentifierValueAsString", id);
                    error.put("ErrorCode", ErrorResponses.runtimeCode(e.kind()));
                    error.put("ErrorMessage", e.getMessage());
                }
            }
        }
        return out;
    }

    private ObjectNode batchWrite(JsonNode input) {
        JsonNode entries = required(input, "Entries");
        if (entries.isEmpty() || entries.size() > MAX_BATCH_WRITE) {
            throw new ValidationException("BatchWriteRecord takes from 1 to " + MAX_BATCH_WRITE
                    + " Entries; this request has " + entries.size() + ".");
        }
        TtlDuration requestTtl = TtlDuration.fromJson(input.get("TtlDuration"));
        ObjectNode out = JSON.createObjectNode();
        ArrayNode failures = out.putArray("Errors");
        out.putArray("UnprocessedEntries");
        // Checked one by one, written together: one commit for the batch.
        List<FeatureStore.Put> puts = new ArrayList<>();
        List<JsonNode> putEntries = new ArrayList<>();
        for (JsonNode entry : entries) {
            try {
                FeatureGroup group = existing(entry.path("FeatureGroupName").asText());
                FeatureStore.Write write = store.check(group, FeatureStore.record(required(entry, "Record")));
                TtlDuration own = TtlDuration.fromJson(entry.get("TtlDuration"));
                puts.add(new FeatureStore.Put(
                        write, strings(entry.get("TargetStores")), own != null ? own : requestTtl));
                putEntries.add(entry);
            } catch (TandemException e) {
                failed(failures, entry, e);
            }
        }
        List<@Nullable TandemException> refused = store.putAll(puts);
        for (int i = 0; i < puts.size(); i++) {
            TandemException e = refused.get(i);
            if (e != null) {
                failed(failures, putEntries.get(i), e);
            }
        }
        return out;
    }

    private static void failed(ArrayNode failures, JsonNode entry, TandemException e) {
        ObjectNode error = failures.addObject();
        error.set("Entry", entry);
        error.put("ErrorCode", ErrorResponses.runtimeCode(e.kind()));
        error.put("ErrorMessage", e.getMessage());
    }

    /**
     * The group a write names; a missing one is {@code ValidationError}, as SageMaker answers
     * PutRecord and DeleteRecord (whose models list no ResourceNotFound).
     */
    private FeatureGroup writable(String name) {
        FeatureGroup group = store.groups().find(name);
        if (group == null || group.status() != FeatureGroupStatus.Created) {
            throw new ValidationException("Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name "
                    + name + (group == null ? "" : " (it is " + group.status() + ")") + ".");
        }
        return group;
    }

    /** The group a read names; a missing one is {@code ResourceNotFound} (404). */
    private FeatureGroup readable(String name) {
        return existing(name);
    }

    private FeatureGroup existing(String name) {
        FeatureGroup group = store.groups().find(name);
        if (group == null || group.status() != FeatureGroupStatus.Created) {
            throw FeatureGroups.notFound(name);
        }
        return group;
    }

    private static boolean expirationTimeResponse(@Nullable String value) {
        if (value == null || value.equals("Disabled")) {
            return false;
        }
        if (value.equals("Enabled")) {
            return true;
        }
        throw new ValidationException("ExpirationTimeResponse must be Enabled or Disabled; was '" + value + "'.");
    }

    private static String expiresAt(FeatureStore.Found found) {
        return DateTimeFormatter.ISO_INSTANT.format(
                java.util.Objects.requireNonNull(found.expiresAt()).truncatedTo(ChronoUnit.MILLIS));
    }

    private static ObjectNode json(FeatureValue value) {
        ObjectNode node = JSON.createObjectNode();
        node.put("FeatureName", value.name());
        if (value.values() != null) {
            ArrayNode list = node.putArray("ValueAsStringList");
            value.values().forEach(list::add);
        } else {
            node.put("ValueAsString", value.value());
        }
        return node;
    }

    private static List<String> strings(@Nullable JsonNode node) {
        List<String> values = new ArrayList<>();
        if (node != null && node.isArray()) {
            node.forEach(value -> values.add(value.asText()));
        }
        return values;
    }

    private static String cursor(String token) {
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ValidationException("NextToken must be one this server returned.");
        }
    }

    private static JsonNode required(JsonNode input, String member) {
        JsonNode value = input.get(member);
        if (value == null || value.isNull()) {
            throw new ValidationException(member + " is required.");
        }
        return value;
    }

    private static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw new ValidationException("The request body must be a JSON object.");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ValidationException("The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ValidationException("The request body is not valid JSON.");
        }
    }
}
