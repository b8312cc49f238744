package dev.tandem.server.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ValidationException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** How long a record lives after its event time: {@code ExpiresAt = EventTime + TtlDuration}. */
public record TtlDuration(String unit, long value) {
    public TtlDuration {
        if (value < 1) {
            throw new ValidationException("TtlDuration Value must be at least 1; was " + value + ".");
        }
        duration(unit, value);
    }

    public Duration duration() {
        return duration(unit, value);
    }

    private static Duration duration(String unit, long value) {
        return switch (unit) {
            case "Seconds" -> Duration.ofSeconds(value);
            case "Minutes" -> Duration.ofMinutes(value);
            case "Hours" -> Duration.ofHours(value);
            case "Days" -> Duration.ofDays(value);
            case "Weeks" -> Duration.ofDays(7 * value);
            default ->
                throw new ValidationException(
                        "TtlDuration Unit must be Seconds, Minutes, Hours, Days or Weeks; was '" + unit + "'.");
        };
    }

    /**
     * The duration a request gives; null when it gives none, or gives {@code {}} — how boto3 sends
     * "remove the group's TTL".
     */
    public static @Nullable TtlDuration fromJson(@Nullable JsonNode node) {
        if (node == null || node.isNull() || (!node.hasNonNull("Unit") && !node.hasNonNull("Value"))) {
            return null;
        }
        if (!node.hasNonNull("Unit") || !node.hasNonNull("Value")) {
            throw new ValidationException("TtlDuration needs both Unit and Value.");
        }
        return new TtlDuration(node.get("Unit").asText(), node.get("Value").asLong());
    }

    ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("Unit", unit);
        node.put("Value", value);
        return node;
    }
}
