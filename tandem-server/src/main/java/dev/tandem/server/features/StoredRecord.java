package dev.tandem.server.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A record as the online store keeps it.
 *
 * @param features the values written, in the order written; empty for a soft-deleted record
 * @param eventTime the record's event time (for a soft delete, the delete's)
 * @param expiresAt when it stops being returned; null when it never expires
 * @param softDeleted whether a SoftDelete hid it; it then only holds the event-time line
 */
public record StoredRecord(
        List<FeatureValue> features, Instant eventTime, @Nullable Instant expiresAt, boolean softDeleted) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public StoredRecord {
        features = List.copyOf(features);
    }

    public boolean expiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    /** Compact JSON, for stores that keep text. */
    public String encode() {
        ObjectNode node = JSON.createObjectNode();
        node.put("t", eventTime.toEpochMilli());
        if (expiresAt != null) {
            node.put("x", expiresAt.toEpochMilli());
        }
        if (softDeleted) {
            node.put("d", true);
        }
        ArrayNode values = node.putArray("f");
        features.forEach(f -> values.add(f.toJson()));
        return node.toString();
    }

    public static StoredRecord decode(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            List<FeatureValue> features = new ArrayList<>();
            node.path("f").forEach(f -> features.add(FeatureValue.fromJson(f)));
            return new StoredRecord(
                    features,
                    Instant.ofEpochMilli(node.path("t").asLong()),
                    node.has("x") ? Instant.ofEpochMilli(node.get("x").asLong()) : null,
                    node.path("d").asBoolean(false));
        } catch (IOException e) {
            throw new UncheckedIOException("a stored record is not valid JSON", e);
        }
    }
}
