package dev.tandem.server.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ValidationException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One feature's value in a record, as the service sends it: a string, or a list of strings for a
 * collection feature. Exactly one of {@code value} and {@code values} is set.
 */
public record FeatureValue(String name, @Nullable String value, @Nullable List<String> values) {
    public FeatureValue {
        if ((value == null) == (values == null)) {
            throw new ValidationException(
                    "Feature " + name + " needs exactly one of ValueAsString and ValueAsStringList.");
        }
        values = values == null ? null : List.copyOf(values);
    }

    public static FeatureValue of(String name, String value) {
        return new FeatureValue(name, value, null);
    }

    public static FeatureValue fromJson(JsonNode node) {
        String name = node.path("FeatureName").asText("");
        if (name.isEmpty()) {
            throw new ValidationException("Every feature of a Record needs a FeatureName.");
        }
        JsonNode list = node.get("ValueAsStringList");
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                throw new ValidationException("ValueAsStringList of feature " + name + " must be a list of strings.");
            }
            List<String> values = new ArrayList<>();
            list.forEach(element -> values.add(element.asText()));
            return new FeatureValue(
                    name,
                    node.hasNonNull("ValueAsString") ? node.get("ValueAsString").asText() : null,
                    values);
        }
        return new FeatureValue(
                name,
                node.hasNonNull("ValueAsString") ? node.get("ValueAsString").asText() : null,
                null);
    }

    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("FeatureName", name);
        if (values != null) {
            values.forEach(node.putArray("ValueAsStringList")::add);
        } else {
            node.put("ValueAsString", value);
        }
        return node;
    }
}
