package dev.tandem.server.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ValidationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A feature group: its features, which of them identifies a record and which holds its event
 * time, its stores and where it is in its lifecycle. Immutable; each change makes a new one.
 *
 * @param onlineStoreConfig the request's {@code OnlineStoreConfig} as given (with the TTL kept in
 *     step by {@link #withTtl}); null when the group has no online store
 * @param offlineStoreConfig the request's {@code OfflineStoreConfig} with {@code
 *     ResolvedOutputS3Uri} and {@code DataCatalogConfig} filled in; null when it has none
 */
public record FeatureGroup(
        String name,
        String arn,
        String recordIdentifierFeatureName,
        String eventTimeFeatureName,
        List<FeatureDefinition> features,
        @Nullable ObjectNode onlineStoreConfig,
        @Nullable ObjectNode offlineStoreConfig,
        @Nullable JsonNode throughputConfig,
        @Nullable String roleArn,
        @Nullable String description,
        FeatureGroupStatus status,
        @Nullable String failureReason,
        Instant createdAt,
        Instant lastModifiedAt,
        Map<String, FeatureMetadata> metadata) {

    public FeatureGroup {
        features = List.copyOf(features);
        metadata = Map.copyOf(metadata);
    }

    public Optional<FeatureDefinition> feature(String featureName) {
        return features.stream().filter(f -> f.name().equals(featureName)).findFirst();
    }

    public FeatureDefinition recordIdentifier() {
        return feature(recordIdentifierFeatureName).orElseThrow();
    }

    public FeatureDefinition eventTime() {
        return feature(eventTimeFeatureName).orElseThrow();
    }

    public boolean hasOnlineStore() {
        return onlineStoreConfig != null
                && onlineStoreConfig.path("EnableOnlineStore").asBoolean(false);
    }

    public boolean hasOfflineStore() {
        return offlineStoreConfig != null;
    }

    /** The group's default record TTL, or null. */
    public @Nullable TtlDuration ttl() {
        return onlineStoreConfig == null ? null : TtlDuration.fromJson(onlineStoreConfig.get("TtlDuration"));
    }

    /** Where the offline store's Parquet files go ({@code ResolvedOutputS3Uri}); null without one. */
    public @Nullable String offlineUri() {
        return offlineStoreConfig == null
                ? null
                : offlineStoreConfig
                        .path("S3StorageConfig")
                        .path("ResolvedOutputS3Uri")
                        .asText(null);
    }

    FeatureGroup withStatus(FeatureGroupStatus next, @Nullable String reason, Instant now) {
        return new FeatureGroup(
                name,
                arn,
                recordIdentifierFeatureName,
                eventTimeFeatureName,
                features,
                onlineStoreConfig,
                offlineStoreConfig,
                throughputConfig,
                roleArn,
                description,
                next,
                reason,
                createdAt,
                now,
                metadata);
    }

    FeatureGroup withFeatures(List<FeatureDefinition> additions, Instant now) {
        List<FeatureDefinition> all = new ArrayList<>(features);
        for (FeatureDefinition addition : additions) {
            if (feature(addition.name()).isPresent()) {
                throw new ValidationException(
                        "Feature " + addition.name() + " already exists in feature group " + name + ".");
            }
            all.add(addition);
        }
        if (all.size() > 2500) {
            throw new ValidationException(
                    "A feature group holds at most 2500 features; this update would make " + all.size() + ".");
        }
        return new FeatureGroup(
                name,
                arn,
                recordIdentifierFeatureName,
                eventTimeFeatureName,
                all,
                onlineStoreConfig,
                offlineStoreConfig,
                throughputConfig,
                roleArn,
                description,
                status,
                failureReason,
                createdAt,
                now,
                metadata);
    }

    FeatureGroup withTtl(@Nullable TtlDuration ttl, Instant now) {
        if (onlineStoreConfig == null) {
            throw new ValidationException("Feature group " + name + " has no online store, so it has no TtlDuration.");
        }
        ObjectNode online = onlineStoreConfig.deepCopy();
        if (ttl == null) {
            online.remove("TtlDuration");
        } else {
            online.set("TtlDuration", ttl.toJson());
        }
        return new FeatureGroup(
                name,
                arn,
                recordIdentifierFeatureName,
                eventTimeFeatureName,
                features,
                online,
                offlineStoreConfig,
                throughputConfig,
                roleArn,
                description,
                status,
                failureReason,
                createdAt,
                now,
                metadata);
    }

    FeatureGroup withThroughput(JsonNode throughput, Instant now) {
        return new FeatureGroup(
                name,
                arn,
                recordIdentifierFeatureName,
                eventTimeFeatureName,
                features,
                onlineStoreConfig,
                offlineStoreConfig,
                throughput,
                roleArn,
                description,
                status,
                failureReason,
                createdAt,
                now,
                metadata);
    }

    FeatureGroup withMetadata(String featureName, FeatureMetadata value, Instant now) {
        Map<String, FeatureMetadata> next = new LinkedHashMap<>(metadata);
        next.put(featureName, value);
        return new FeatureGroup(
                name,
                arn,
                recordIdentifierFeatureName,
                eventTimeFeatureName,
                features,
                onlineStoreConfig,
                offlineStoreConfig,
                throughputConfig,
                roleArn,
                description,
                status,
                failureReason,
                createdAt,
                now,
                next);
    }

    /** The group as the state store keeps it. */
    public ObjectNode toStorage() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("name", name);
        node.put("arn", arn);
        node.put("recordIdentifierFeatureName", recordIdentifierFeatureName);
        node.put("eventTimeFeatureName", eventTimeFeatureName);
        ArrayNode list = node.putArray("features");
        features.forEach(f -> list.add(f.toJson()));
        node.set("onlineStoreConfig", onlineStoreConfig);
        node.set("offlineStoreConfig", offlineStoreConfig);
        node.set("throughputConfig", throughputConfig);
        node.put("roleArn", roleArn);
        node.put("description", description);
        node.put("status", status.name());
        node.put("failureReason", failureReason);
        node.put("createdAt", createdAt.toEpochMilli());
        node.put("lastModifiedAt", lastModifiedAt.toEpochMilli());
        ObjectNode meta = node.putObject("metadata");
        new TreeMap<>(metadata).forEach((feature, m) -> {
            ObjectNode entry = meta.putObject(feature);
            entry.put("description", m.description());
            ObjectNode parameters = entry.putObject("parameters");
            new TreeMap<>(m.parameters()).forEach(parameters::put);
            entry.put("createdAt", m.createdAt().toEpochMilli());
            entry.put("lastModifiedAt", m.lastModifiedAt().toEpochMilli());
        });
        return node;
    }

    public static FeatureGroup fromStorage(JsonNode node) {
        List<FeatureDefinition> features = new ArrayList<>();
        node.path("features").forEach(f -> features.add(FeatureDefinition.fromJson(f)));
        Map<String, FeatureMetadata> metadata = new LinkedHashMap<>();
        node.path("metadata").properties().forEach(entry -> {
            Map<String, String> parameters = new LinkedHashMap<>();
            entry.getValue()
                    .path("parameters")
                    .properties()
                    .forEach(p -> parameters.put(p.getKey(), p.getValue().asText()));
            metadata.put(
                    entry.getKey(),
                    new FeatureMetadata(
                            text(entry.getValue(), "description"),
                            parameters,
                            Instant.ofEpochMilli(
                                    entry.getValue().path("createdAt").asLong()),
                            Instant.ofEpochMilli(
                                    entry.getValue().path("lastModifiedAt").asLong())));
        });
        return new FeatureGroup(
                node.path("name").asText(),
                node.path("arn").asText(),
                node.path("recordIdentifierFeatureName").asText(),
                node.path("eventTimeFeatureName").asText(),
                features,
                node.get("onlineStoreConfig") instanceof ObjectNode online ? online : null,
                node.get("offlineStoreConfig") instanceof ObjectNode offline ? offline : null,
                node.hasNonNull("throughputConfig") ? node.get("throughputConfig") : null,
                text(node, "roleArn"),
                text(node, "description"),
                FeatureGroupStatus.valueOf(node.path("status").asText()),
                text(node, "failureReason"),
                Instant.ofEpochMilli(node.path("createdAt").asLong()),
                Instant.ofEpochMilli(node.path("lastModifiedAt").asLong()),
                metadata);
    }

    private static @Nullable String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }
}
