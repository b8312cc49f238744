package dev.tandem.server.features;

import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What UpdateFeatureMetadata adds to a feature: a description and key-value parameters. */
public record FeatureMetadata(
        @Nullable String description, Map<String, String> parameters, Instant createdAt, Instant lastModifiedAt) {
    public FeatureMetadata {
        parameters = Map.copyOf(parameters);
    }
}
