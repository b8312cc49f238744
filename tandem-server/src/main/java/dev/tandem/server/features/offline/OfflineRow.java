package dev.tandem.server.features.offline;

import dev.tandem.server.features.FeatureValue;
import java.time.Instant;
import java.util.List;

/**
 * One row bound for a feature group's offline store: a record as it was written (historic or not),
 * or a delete marker — the identifier and the delete's event time, every other feature null.
 *
 * @param group the feature group's name
 * @param location the group's {@code ResolvedOutputS3Uri} when the row was written: a group deleted
 *     and created again under the same name has another, and the row is not the new group's
 * @param features the record's values; for a delete marker the identifier and the event time
 * @param eventTime the record's (or the delete's) event time, which decides the row's partition
 * @param apiInvocationTime when the call that wrote the row was received
 * @param deleted whether the row is a delete marker ({@code is_deleted})
 */
public record OfflineRow(
        String group,
        String location,
        List<FeatureValue> features,
        Instant eventTime,
        Instant apiInvocationTime,
        boolean deleted) {
    public OfflineRow {
        features = List.copyOf(features);
    }
}
