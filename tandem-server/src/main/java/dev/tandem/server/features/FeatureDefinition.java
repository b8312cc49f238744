package dev.tandem.server.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ValidationException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One feature of a group: its name, type and, for a collection, how the values are grouped.
 *
 * @param collectionType {@code List}, {@code Set} or {@code Vector}; null for a single value
 * @param vectorDimension how many values a {@code Vector} holds; 0 otherwise
 */
public record FeatureDefinition(String name, FeatureType type, @Nullable String collectionType, int vectorDimension) {

    /** Names the offline store adds to every row, which no feature may take. */
    static final Set<String> RESERVED = Set.of("is_deleted", "write_time", "api_invocation_time");

    public FeatureDefinition {
        if (RESERVED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new ValidationException("The feature name " + name
                    + " is reserved: is_deleted, write_time and api_invocation_time are added by the offline store.");
        }
        if (collectionType != null && !List.of("List", "Set", "Vector").contains(collectionType)) {
            throw new ValidationException(
                    "CollectionType of feature " + name + " must be List, Set or Vector; was " + collectionType + ".");
        }
        if ("Vector".equals(collectionType)) {
            if (type != FeatureType.FRACTIONAL) {
                throw new ValidationException("Feature " + name + " is a Vector, whose values must be Fractional.");
            }
            if (vectorDimension < 1 || vectorDimension > 8192) {
                throw new ValidationException("Feature " + name
                        + " is a Vector and needs CollectionConfig.VectorConfig.Dimension from 1 to 8192.");
            }
        }
    }

    public boolean isCollection() {
        return collectionType != null;
    }

    public static FeatureDefinition fromJson(JsonNode node) {
        String collection =
                node.hasNonNull("CollectionType") ? node.get("CollectionType").asText() : null;
        int dimension = node.path("CollectionConfig")
                .path("VectorConfig")
                .path("Dimension")
                .asInt(0);
        return new FeatureDefinition(
                node.path("FeatureName").asText(),
                FeatureType.of(node.path("FeatureType").asText()),
                collection,
                dimension);
    }

    ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("FeatureName", name);
        node.put("FeatureType", type.wireName());
        if (collectionType != null) {
            node.put("CollectionType", collectionType);
            if (vectorDimension > 0) {
                node.putObject("CollectionConfig").putObject("VectorConfig").put("Dimension", vectorDimension);
            }
        }
        return node;
    }

    /**
     * Checks a value written for this feature: one string for a single feature, a list for a
     * collection, each element of this type.
     */
    void check(FeatureValue value) {
        if (!isCollection()) {
            if (value.value() == null) {
                throw new ValidationException(
                        "Feature " + name + " holds one value: send it as ValueAsString, not ValueAsStringList.");
            }
            type.check(name, value.value());
            return;
        }
        List<String> values = value.values();
        if (values == null) {
            throw new ValidationException(
                    "Feature " + name + " is a " + collectionType + ": send its values as ValueAsStringList.");
        }
        for (String element : values) {
            type.check(name, element);
        }
        if ("Set".equals(collectionType) && new HashSet<>(values).size() != values.size()) {
            throw new ValidationException("Feature " + name + " is a Set: its values must not repeat.");
        }
        if ("Vector".equals(collectionType) && values.size() != vectorDimension) {
            throw new ValidationException("Feature " + name + " is a Vector of dimension " + vectorDimension + "; "
                    + values.size() + " values were sent.");
        }
    }
}
