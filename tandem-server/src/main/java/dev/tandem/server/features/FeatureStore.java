package dev.tandem.server.features;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.server.features.offline.OfflineRow;
import dev.tandem.server.features.offline.OfflineStore;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The feature store's record rules over an {@link OnlineStore} and the {@link OfflineStore}: values
 * checked against the group's features, event time deciding which write wins, TTL, soft and hard
 * deletes. What the runtime API and the pipeline's lookup stage both call.
 *
 * <p>Event time decides: a record whose event time is at least the stored one's replaces it (an
 * equal one overwrites — the 2023 guide's rule, which the current one does not contradict); an
 * older one leaves the online record as it is and still answers success. An expired record is
 * never returned: it is hidden at read time and removed by {@link #removeExpired}.
 *
 * <p>The offline store gets every write that names it — historic ones too — and a delete marker
 * (the identifier and the delete's event time, {@code is_deleted} true) for every delete but a
 * refused HardDelete, and for every record the TTL removes. A write goes to the offline journal
 * first: when that fails the call fails and the online record is untouched.
 */
public final class FeatureStore {
    public static final String ONLINE = "OnlineStore";
    public static final String OFFLINE = "OfflineStore";

    private final FeatureGroups groups;
    private final OnlineStore online;
    private final OfflineStore offline;
    private final Clock clock;

    public FeatureStore(FeatureGroups groups, OnlineStore online, OfflineStore offline, Clock clock) {
        this.groups = groups;
        this.online = online;
        this.offline = offline;
        this.clock = clock;
    }

    public OfflineStore offline() {
        return offline;
    }

    public FeatureGroups groups() {
        return groups;
    }

    /** Whether a {@link #get} is an in-process lookup ({@link OnlineStore#readsWithoutWaiting}). */
    public boolean readsWithoutWaiting() {
        return online.readsWithoutWaiting();
    }

    /** A record to write, checked against its group. */
    public record Write(FeatureGroup group, String id, List<FeatureValue> features, Instant eventTime) {}

    /** What PutRecord does. */
    public enum Outcome {
        /** The online record is now this one. */
        WRITTEN,
        /** Older than the online record, which stays as it was (it goes to the offline store only). */
        HISTORIC,
        /** The write named no online store. */
        OFFLINE_ONLY
    }

    /**
     * Checks a record for a group: every feature is one of the group's, once, with a value of its
     * type, and the identifier and event time are there.
     */
    public Write check(FeatureGroup group, List<FeatureValue> record) {
        if (record.isEmpty()) {
            throw new ValidationException("The Record is empty: it needs at least the record identifier "
                    + group.recordIdentifierFeatureName() + " and the event time " + group.eventTimeFeatureName()
                    + ".");
        }
        Set<String> seen = new HashSet<>();
        String id = null;
        Instant eventTime = null;
        for (FeatureValue value : record) {
            FeatureDefinition feature = group.feature(value.name())
                    .orElseThrow(() -> new ValidationException(
                            "Feature " + value.name() + " is not a feature of feature group " + group.name() + "."));
            if (!seen.add(value.name())) {
                throw new ValidationException("Feature " + value.name() + " appears more than once in the Record.");
            }
            feature.check(value);
            if (feature.name().equals(group.recordIdentifierFeatureName())) {
                id = value.value();
            } else if (feature.name().equals(group.eventTimeFeatureName())) {
                eventTime = EventTimes.parse(feature.name(), feature.type(), String.valueOf(value.value()));
            }
        }
        if (id == null || id.isEmpty()) {
            throw new ValidationException(
                    "The Record lacks its record identifier, feature " + group.recordIdentifierFeatureName() + ".");
        }
        if (id.length() > 2048) {
            throw new ValidationException(
                    "A record identifier is at most 2 KB; this one is " + id.length() + " characters.");
        }
        if (eventTime == null) {
            throw new ValidationException(
                    "The Record lacks its event time, feature " + group.eventTimeFeatureName() + ".");
        }
        return new Write(group, canonicalId(group, id), record, eventTime);
    }

    /** A PutRecord: the record, the stores to write (empty for all the group has), its own TTL. */
    public record Put(Write write, List<String> targetStores, @Nullable TtlDuration ttl) {}

    /**
     * PutRecord, durable when it returns.
     *
     * @param targetStores the stores to write; empty for all the group has
     * @param ttl the record's own TTL; null for the group's
     */
    public Outcome put(Write write, List<String> targetStores, @Nullable TtlDuration ttl) {
        Outcome outcome = apply(new Put(write, targetStores, ttl));
        online.sync();
        return outcome;
    }

    /**
     * BatchWriteRecord: each put in order, all made durable by one commit before this returns.
     *
     * @return for each put, the error that refused it, or null when it was written
     */
    public List<@Nullable TandemException> putAll(List<Put> puts) {
        List<@Nullable TandemException> errors = new ArrayList<>(puts.size());
        try {
            for (Put put : puts) {
                try {
                    apply(put);
                    errors.add(null);
                } catch (TandemException e) {
                    errors.add(e);
                }
            }
        } finally {
            // Even when the offline journal fails part-way: what was applied is made durable.
            online.sync();
        }
        return errors;
    }

    private Outcome apply(Put put) {
        Write write = put.write();
        FeatureGroup group = write.group();
        boolean toOnline = targets(group, put.targetStores(), ONLINE);
        Instant now = clock.instant();
        if (targets(group, put.targetStores(), OFFLINE)) {
            offline.append(group, offlineRow(group, write.features(), write.eventTime(), now, false));
        }
        if (!toOnline) {
            return Outcome.OFFLINE_ONLY;
        }
        TtlDuration lifetime = put.ttl() != null ? put.ttl() : group.ttl();
        Instant expiresAt = lifetime == null ? null : write.eventTime().plus(lifetime.duration());
        StoredRecord next = new StoredRecord(write.features(), write.eventTime(), expiresAt, false);
        StoredRecord stored = online.update(group.name(), write.id(), current -> {
            if (current == null || current.expiredAt(now) || !write.eventTime().isBefore(current.eventTime())) {
                return next;
            }
            return current;
        });
        // The very record made here, not an equal one: the store returns what the rule chose.
        @SuppressWarnings("ReferenceEquality")
        boolean written = stored == next;
        return written ? Outcome.WRITTEN : Outcome.HISTORIC;
    }

    /** Whether a write or delete goes to {@code store}, refusing a target the group lacks. */
    private static boolean targets(FeatureGroup group, List<String> targetStores, String store) {
        for (String target : targetStores) {
            if (!target.equals(ONLINE) && !target.equals(OFFLINE)) {
                throw new ValidationException(
                        "TargetStores may hold OnlineStore and OfflineStore; '" + target + "' is neither.");
            }
            if (target.equals(ONLINE) && !group.hasOnlineStore()) {
                throw new ValidationException("Feature group " + group.name() + " has no OnlineStore.");
            }
            if (target.equals(OFFLINE) && !group.hasOfflineStore()) {
                throw new ValidationException("Feature group " + group.name() + " has no OfflineStore.");
            }
        }
        if (store.equals(ONLINE)) {
            return group.hasOnlineStore() && (targetStores.isEmpty() || targetStores.contains(ONLINE));
        }
        return group.hasOfflineStore() && (targetStores.isEmpty() || targetStores.contains(OFFLINE));
    }

    /** A record as GetRecord returns it. */
    public record Found(List<FeatureValue> features, @Nullable Instant expiresAt) {}

    /**
     * GetRecord: the record, or empty when there is none (or it is soft-deleted or expired).
     *
     * @param featureNames the features to return; empty for all
     */
    public Optional<Found> get(FeatureGroup group, String id, List<String> featureNames) {
        return Optional.ofNullable(getAll(group, List.of(id), featureNames).get(id));
    }

    /**
     * GetRecord for many identifiers of one group, in one read of the store: the live records
     * found, by identifier as given.
     *
     * @param featureNames the features to return; empty for all
     */
    public Map<String, Found> getAll(FeatureGroup group, List<String> ids, List<String> featureNames) {
        if (!group.hasOnlineStore()) {
            throw new ValidationException(
                    "Feature group " + group.name() + " has no OnlineStore; GetRecord reads the online store.");
        }
        for (String name : featureNames) {
            if (group.feature(name).isEmpty()) {
                throw new ValidationException(
                        "Feature " + name + " is not a feature of feature group " + group.name() + ".");
            }
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (String id : ids) {
            keys.put(id, canonicalId(group, id));
        }
        Map<String, StoredRecord> stored = online.getAll(group.name(), List.copyOf(new LinkedHashSet<>(keys.values())));
        Instant now = clock.instant();
        Map<String, Found> found = new LinkedHashMap<>();
        keys.forEach((id, key) -> {
            StoredRecord record = stored.get(key);
            if (record == null || record.softDeleted() || record.expiredAt(now)) {
                return;
            }
            List<FeatureValue> features = record.features();
            if (!featureNames.isEmpty()) {
                features = features.stream()
                        .filter(f -> featureNames.contains(f.name()))
                        .toList();
            }
            found.put(id, new Found(features, record.expiresAt()));
        });
        return found;
    }

    /** DeleteRecord's modes. */
    public enum DeletionMode {
        SoftDelete,
        HardDelete
    }

    /**
     * DeleteRecord. The delete's event time must be later than the record's: a SoftDelete that is
     * not leaves the record as it is (and still counts as a delete in the offline store); a
     * HardDelete that is not is refused.
     */
    public void delete(
            FeatureGroup group, String id, String eventTimeText, List<String> targetStores, DeletionMode mode) {
        FeatureDefinition eventFeature = group.eventTime();
        Instant eventTime = EventTimes.parse(eventFeature.name(), eventFeature.type(), eventTimeText);
        String key = canonicalId(group, id);
        Instant now = clock.instant();
        boolean toOffline = targets(group, targetStores, OFFLINE);
        OfflineRow marker = toOffline
                ? offlineRow(
                        group,
                        List.of(
                                FeatureValue.of(group.recordIdentifierFeatureName(), key),
                                FeatureValue.of(eventFeature.name(), eventTimeText)),
                        eventTime,
                        now,
                        true)
                : null;
        if (!targets(group, targetStores, ONLINE)) {
            if (marker != null) {
                offline.append(group, marker);
            }
            return;
        }
        ValidationException[] refused = {null};
        online.update(group.name(), key, current -> {
            refused[0] = null; // the store may ask again, when another writer came first
            if (current == null || current.expiredAt(now)) {
                return null;
            }
            if (!eventTime.isAfter(current.eventTime())) {
                if (mode == DeletionMode.HardDelete) {
                    refused[0] = new ValidationException("EventTime " + eventTimeText
                            + " of the HardDelete must be later than the record's event time "
                            + EventTimes.format(current.eventTime()) + ".");
                }
                return current;
            }
            return mode == DeletionMode.HardDelete ? null : new StoredRecord(List.of(), eventTime, null, true);
        });
        online.sync();
        if (refused[0] != null) {
            throw refused[0];
        }
        if (marker != null) {
            offline.append(group, marker);
        }
    }

    private static OfflineRow offlineRow(
            FeatureGroup group, List<FeatureValue> features, Instant eventTime, Instant now, boolean deleted) {
        return new OfflineRow(
                group.name(), java.util.Objects.requireNonNull(group.offlineUri()), features, eventTime, now, deleted);
    }

    /** One page of ListRecords. */
    public record Page(List<String> ids, @Nullable String lastId) {}

    /** ListRecords: identifiers of the group's live records, in order, after {@code after}. */
    public Page list(FeatureGroup group, @Nullable String after, int limit, boolean includeSoftDeleted) {
        if (!group.hasOnlineStore()) {
            throw new ValidationException(
                    "Feature group " + group.name() + " has no OnlineStore; ListRecords lists the online store.");
        }
        Instant now = clock.instant();
        List<String> ids = new ArrayList<>();
        String cursor = after;
        while (ids.size() < limit) {
            List<OnlineStore.Entry> page = online.page(group.name(), cursor, limit);
            if (page.isEmpty()) {
                return new Page(ids, null);
            }
            for (OnlineStore.Entry entry : page) {
                cursor = entry.id();
                StoredRecord record = entry.record();
                if (record.expiredAt(now) || (record.softDeleted() && !includeSoftDeleted)) {
                    continue;
                }
                ids.add(entry.id());
                if (ids.size() == limit) {
                    break;
                }
            }
        }
        // More may follow: the caller pages on from the last identifier seen.
        return new Page(ids, cursor);
    }

    /** Removes every expired record of every group; answers how many. */
    public int removeExpired() {
        Instant now = clock.instant();
        int removed = 0;
        for (FeatureGroup group : groups.all()) {
            if (!group.hasOnlineStore() || group.status() != FeatureGroupStatus.Created) {
                continue;
            }
            String cursor = null;
            while (true) {
                List<OnlineStore.Entry> page = online.page(group.name(), cursor, 500);
                if (page.isEmpty()) {
                    break;
                }
                Map<String, StoredRecord> removedHere = new LinkedHashMap<>();
                for (OnlineStore.Entry entry : page) {
                    cursor = entry.id();
                    if (entry.record().expiredAt(now)) {
                        StoredRecord[] gone = {null};
                        online.update(group.name(), entry.id(), current -> {
                            gone[0] = null; // the store may ask again, when another writer came first
                            if (current != null && current.expiredAt(now)) {
                                gone[0] = current;
                                return null;
                            }
                            return current;
                        });
                        if (gone[0] != null) {
                            removedHere.put(entry.id(), gone[0]);
                        }
                    }
                }
                // The markers follow the removals once they are durable: a crash in between
                // removes the records again at the next pass and marks them then.
                online.sync();
                removedHere.forEach((id, record) -> expired(group, id, record, now));
                removed += removedHere.size();
            }
        }
        return removed;
    }

    /**
     * A record the TTL removed goes to the offline store as deleted, at its expiry time, as
     * SageMaker's TTL does.
     */
    private void expired(FeatureGroup group, String id, StoredRecord record, Instant now) {
        Instant expiresAt = record.expiresAt();
        if (!group.hasOfflineStore() || expiresAt == null) {
            return;
        }
        FeatureDefinition eventFeature = group.eventTime();
        offline.append(
                group,
                offlineRow(
                        group,
                        List.of(
                                FeatureValue.of(group.recordIdentifierFeatureName(), id),
                                FeatureValue.of(
                                        eventFeature.name(), EventTimes.format(eventFeature.type(), expiresAt))),
                        expiresAt,
                        now,
                        true));
    }

    /**
     * The identifier as stored: an Integral identifier by its number, so that "7" and "7.0" (how a
     * data frame with gaps sends it) name the same record.
     */
    private static String canonicalId(FeatureGroup group, String id) {
        if (group.recordIdentifier().type() == FeatureType.INTEGRAL) {
            try {
                return Long.toString(new java.math.BigDecimal(id.trim()).longValueExact());
            } catch (NumberFormatException | ArithmeticException e) {
                throw new ValidationException("The record identifier '" + id + "' of feature "
                        + group.recordIdentifierFeatureName() + " is not Integral.");
            }
        }
        return id;
    }

    /** For the runtime API: parses a request's Record. */
    public static List<FeatureValue> record(JsonNode node) {
        if (!node.isArray()) {
            throw new ValidationException("Record must be a list of {FeatureName, ValueAsString} entries.");
        }
        List<FeatureValue> values = new ArrayList<>();
        node.forEach(entry -> values.add(FeatureValue.fromJson(entry)));
        return values;
    }
}
