package dev.tandem.server.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.server.store.StateStore;
import dev.tandem.server.store.StoredFeatureGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feature groups: created, changed and deleted through the control plane, kept in the state
 * store (so they survive restarts) and in memory (so a runtime call finds its group without a
 * query). One server owns a data dir, so the memory copy is always the stored one: a group is
 * visible to the runtime as soon as CreateFeatureGroup answers — no minutes of "Resource Not
 * Found" as on SageMaker.
 */
public final class FeatureGroups {
    /** SageMaker's soft quota of feature groups per account and region. */
    public static final int MAX_GROUPS = 100;

    private static final Logger LOG = LoggerFactory.getLogger(FeatureGroups.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StateStore store;
    private final OnlineStore online;
    private final Function<String, String> arnOf;
    private final String region;
    private final String accountId;
    private final Clock clock;
    private final Map<String, FeatureGroup> groups = new ConcurrentHashMap<>();
    private final Object writes = new Object();

    /**
     * @param arnOf the ARN of a group name
     */
    public FeatureGroups(
            StateStore store,
            OnlineStore online,
            Function<String, String> arnOf,
            String region,
            String accountId,
            Clock clock) {
        this.store = store;
        this.online = online;
        this.arnOf = arnOf;
        this.region = region;
        this.accountId = accountId;
        this.clock = clock;
        for (StoredFeatureGroup stored : store.featureGroups()) {
            FeatureGroup group = FeatureGroup.fromStorage(parse(stored.definition()));
            groups.put(group.name(), group);
        }
        // Work a restart interrupted: a group still Creating is ready (nothing it needs takes
        // longer than the create call), one still Deleting is deleted.
        for (FeatureGroup group : List.copyOf(groups.values())) {
            switch (group.status()) {
                case Creating -> save(group.withStatus(FeatureGroupStatus.Created, null, clock.instant()));
                case Deleting -> finishDelete(group);
                default -> {}
            }
        }
    }

    /** The group a name or ARN names, whatever its status. */
    public FeatureGroup get(String nameOrArn) {
        FeatureGroup group = find(nameOrArn);
        if (group == null) {
            throw notFound(nameOrArn);
        }
        return group;
    }

    /** The group a name or ARN names, or null. */
    public @Nullable FeatureGroup find(String nameOrArn) {
        String name = nameOf(nameOrArn);
        FeatureGroup group = groups.get(name);
        if (group == null && nameOrArn.startsWith("arn:")) {
            // ARNs spell the name in lower case.
            for (FeatureGroup candidate : groups.values()) {
                if (candidate.arn().equalsIgnoreCase(nameOrArn)) {
                    return candidate;
                }
            }
        }
        return group;
    }

    public List<FeatureGroup> all() {
        return List.copyOf(groups.values());
    }

    public static TandemException notFound(String nameOrArn) {
        return new TandemException(
                ErrorKind.RESOURCE_NOT_FOUND, "Resource Not Found: FeatureGroup " + nameOf(nameOrArn) + " not found.");
    }

    /** Creates the group CreateFeatureGroup describes; it is Created by the time this returns. */
    public FeatureGroup create(JsonNode request) {
        String name = request.path("FeatureGroupName").asText();
        List<FeatureDefinition> features = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode node : request.path("FeatureDefinitions")) {
            FeatureDefinition feature = FeatureDefinition.fromJson(node);
            if (!seen.add(feature.name().toLowerCase(Locale.ROOT))) {
                throw new ValidationException("Feature " + feature.name() + " is defined more than once.");
            }
            features.add(feature);
        }
        String identifier = request.path("RecordIdentifierFeatureName").asText();
        String eventTime = request.path("EventTimeFeatureName").asText();
        FeatureDefinition identifierFeature = features.stream()
                .filter(f -> f.name().equals(identifier))
                .findFirst()
                .orElseThrow(() -> new ValidationException(
                        "RecordIdentifierFeatureName " + identifier + " must be one of the FeatureDefinitions."));
        if (identifierFeature.type() == FeatureType.FRACTIONAL || identifierFeature.isCollection()) {
            throw new ValidationException(
                    "The record identifier feature " + identifier + " must be a single String or Integral feature.");
        }
        FeatureDefinition eventFeature = features.stream()
                .filter(f -> f.name().equals(eventTime))
                .findFirst()
                .orElseThrow(() -> new ValidationException(
                        "EventTimeFeatureName " + eventTime + " must be one of the FeatureDefinitions."));
        if (eventFeature.type() == FeatureType.INTEGRAL || eventFeature.isCollection()) {
            throw new ValidationException("The event time feature " + eventTime
                    + " must be a single String (ISO-8601) or Fractional (seconds since the epoch) feature.");
        }
        ObjectNode onlineConfig = request.get("OnlineStoreConfig") instanceof ObjectNode o ? o.deepCopy() : null;
        ObjectNode offlineConfig = request.get("OfflineStoreConfig") instanceof ObjectNode o ? o.deepCopy() : null;
        boolean onlineEnabled =
                onlineConfig != null && onlineConfig.path("EnableOnlineStore").asBoolean(false);
        if (!onlineEnabled && offlineConfig == null) {
            throw new ValidationException(
                    "You must include at least one of OnlineStoreConfig (with EnableOnlineStore true) and"
                            + " OfflineStoreConfig.");
        }
        if (onlineConfig != null) {
            TtlDuration.fromJson(onlineConfig.get("TtlDuration"));
        }
        Instant now = clock.instant();
        if (offlineConfig != null) {
            resolveOfflineLocation(name, offlineConfig, now);
        }
        synchronized (writes) {
            if (groups.containsKey(name)) {
                throw new TandemException(
                        ErrorKind.RESOURCE_IN_USE,
                        "Resource Already Exists: FeatureGroup with name " + name
                                + " already exists. Choose a different name.");
            }
            if (groups.size() >= MAX_GROUPS) {
                throw new TandemException(
                        ErrorKind.RESOURCE_LIMIT_EXCEEDED,
                        "The account-level service limit 'Maximum number of feature groups' is " + MAX_GROUPS
                                + " FeatureGroups; delete one before creating another.");
            }
            FeatureGroup group = new FeatureGroup(
                    name,
                    arnOf.apply(name),
                    identifier,
                    eventTime,
                    features,
                    onlineConfig,
                    offlineConfig,
                    request.get("ThroughputConfig"),
                    request.hasNonNull("RoleArn") ? request.get("RoleArn").asText() : null,
                    request.hasNonNull("Description")
                            ? request.get("Description").asText()
                            : null,
                    FeatureGroupStatus.Creating,
                    null,
                    now,
                    now,
                    Map.of());
            if (!store.insertFeatureGroup(stored(group))) {
                throw new TandemException(
                        ErrorKind.RESOURCE_IN_USE,
                        "Resource Already Exists: FeatureGroup with name " + name + " already exists.");
            }
            groups.put(name, group);
            // Nothing takes time here yet (the online store's map opens on first use), so the
            // group passes Creating at once; the status is kept for what will (an offline location
            // to check).
            FeatureGroup created = group.withStatus(FeatureGroupStatus.Created, null, clock.instant());
            save(created);
            LOG.info("Feature group {} created ({} features)", name, features.size());
            return created;
        }
    }

    /**
     * SageMaker's offline layout: {@code <S3Uri>/<account>/sagemaker/<region>/offline-store/<group>-<epoch>/data},
     * and a Glue table name when the request names none.
     */
    private void resolveOfflineLocation(String name, ObjectNode offline, Instant now) {
        long epoch = now.getEpochSecond();
        ObjectNode s3 = offline.withObjectProperty("S3StorageConfig");
        String uri = s3.path("S3Uri").asText();
        // Checked here, not at the first flush: an s3://bucket/prefix or a file:/absolute/folder.
        dev.tandem.runtime.storage.Location.parse(uri, "OfflineStoreConfig.S3StorageConfig.S3Uri");
        while (uri.endsWith("/")) {
            uri = uri.substring(0, uri.length() - 1);
        }
        s3.put(
                "ResolvedOutputS3Uri",
                uri + "/" + accountId + "/sagemaker/" + region + "/offline-store/" + name + "-" + epoch + "/data");
        if (!offline.has("DataCatalogConfig")) {
            ObjectNode catalog = offline.putObject("DataCatalogConfig");
            catalog.put("TableName", name + "_" + epoch);
            catalog.put("Catalog", "AwsDataCatalog");
            catalog.put("Database", "sagemaker_featurestore");
        }
    }

    /** UpdateFeatureGroup: features added, the TTL changed or removed, the throughput changed. */
    public FeatureGroup update(
            String nameOrArn,
            List<FeatureDefinition> additions,
            boolean ttlGiven,
            @Nullable TtlDuration ttl,
            @Nullable JsonNode throughput) {
        synchronized (writes) {
            FeatureGroup group = ready(nameOrArn);
            Instant now = clock.instant();
            FeatureGroup next = group;
            if (!additions.isEmpty()) {
                next = next.withFeatures(additions, now);
            }
            if (ttlGiven) {
                next = next.withTtl(ttl, now);
            }
            if (throughput != null) {
                next = next.withThroughput(throughput, now);
            }
            save(next);
            return next;
        }
    }

    /** UpdateFeatureMetadata. */
    public FeatureGroup updateMetadata(
            String nameOrArn,
            String featureName,
            @Nullable String description,
            Map<String, String> additions,
            List<String> removals) {
        synchronized (writes) {
            FeatureGroup group = ready(nameOrArn);
            if (group.feature(featureName).isEmpty()) {
                throw new TandemException(
                        ErrorKind.RESOURCE_NOT_FOUND,
                        "Resource Not Found: feature " + featureName + " is not in feature group " + group.name()
                                + ".");
            }
            Instant now = clock.instant();
            FeatureMetadata before = group.metadata().get(featureName);
            Map<String, String> parameters =
                    new java.util.LinkedHashMap<>(before == null ? Map.of() : before.parameters());
            removals.forEach(parameters::remove);
            parameters.putAll(additions);
            if (parameters.size() > 25) {
                throw new ValidationException(
                        "A feature holds at most 25 parameters; this update would make " + parameters.size() + ".");
            }
            FeatureMetadata next = new FeatureMetadata(
                    description != null ? description : before == null ? null : before.description(),
                    parameters,
                    before == null ? group.createdAt() : before.createdAt(),
                    now);
            FeatureGroup updated = group.withMetadata(featureName, next, now);
            save(updated);
            return updated;
        }
    }

    /** DeleteFeatureGroup: Deleting at once, gone with its records once they are removed. */
    public void delete(String nameOrArn) {
        FeatureGroup deleting;
        synchronized (writes) {
            FeatureGroup group = get(nameOrArn);
            if (group.status() == FeatureGroupStatus.Deleting) {
                return;
            }
            deleting = group.withStatus(FeatureGroupStatus.Deleting, null, clock.instant());
            save(deleting);
        }
        Thread.ofVirtual().name("delete-feature-group-" + deleting.name()).start(() -> finishDelete(deleting));
    }

    private void finishDelete(FeatureGroup group) {
        try {
            online.dropGroup(group.name());
            synchronized (writes) {
                store.deleteFeatureGroup(group.name());
                groups.remove(group.name());
            }
            LOG.info("Feature group {} deleted", group.name());
        } catch (RuntimeException e) {
            LOG.error("Feature group {} could not be deleted", group.name(), e);
            save(group.withStatus(FeatureGroupStatus.DeleteFailed, String.valueOf(e.getMessage()), clock.instant()));
        }
    }

    /** A group that can be changed: it exists and is Created. */
    private FeatureGroup ready(String nameOrArn) {
        FeatureGroup group = get(nameOrArn);
        if (group.status() != FeatureGroupStatus.Created) {
            throw new TandemException(
                    ErrorKind.RESOURCE_IN_USE,
                    "Feature group " + group.name() + " is " + group.status() + "; only a Created group can change.");
        }
        return group;
    }

    private void save(FeatureGroup group) {
        synchronized (writes) {
            store.updateFeatureGroup(stored(group));
            groups.put(group.name(), group);
        }
    }

    private static StoredFeatureGroup stored(FeatureGroup group) {
        return new StoredFeatureGroup(
                group.name(), group.arn(), group.toStorage().toString(), group.createdAt());
    }

    private static String nameOf(String nameOrArn) {
        int slash = nameOrArn.lastIndexOf('/');
        return nameOrArn.startsWith("arn:") && slash >= 0 ? nameOrArn.substring(slash + 1) : nameOrArn;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored feature group is not valid JSON", e);
        }
    }
}
