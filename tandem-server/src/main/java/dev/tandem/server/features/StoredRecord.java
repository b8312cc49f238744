package dev.tandem.server.features;

import java.time.Instant;
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
    public StoredRecord {
        features = List.copyOf(features);
    }

    public boolean expiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    /** The bytes a store keeps ({@link StoredRecordCodec}). */
    public byte[] encode() {
        return StoredRecordCodec.encode(this);
    }

    /** A record from what {@link #encode} made (or the JSON text the first stores kept). */
    public static StoredRecord decode(byte[] bytes) {
        return StoredRecordCodec.decode(bytes);
    }
}
