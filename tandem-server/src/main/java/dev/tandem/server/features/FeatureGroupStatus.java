package dev.tandem.server.features;

/** A feature group's lifecycle, as {@code FeatureGroupStatus} names it. */
public enum FeatureGroupStatus {
    Creating,
    Created,
    CreateFailed,
    Deleting,
    DeleteFailed
}
