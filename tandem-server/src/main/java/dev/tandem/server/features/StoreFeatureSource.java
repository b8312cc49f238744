package dev.tandem.server.features;

import dev.tandem.core.error.TandemException;
import dev.tandem.core.stage.FeatureSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The feature store as in-process stages read it (the pipeline's {@code builtin:feature-lookup}). */
public final class StoreFeatureSource implements FeatureSource {
    private final FeatureStore store;

    public StoreFeatureSource(FeatureStore store) {
        this.store = store;
    }

    @Override
    public Optional<Group> group(String name) {
        FeatureGroup group = store.groups().find(name);
        if (group == null || group.status() != FeatureGroupStatus.Created || !group.hasOnlineStore()) {
            return Optional.empty();
        }
        return Optional.of(new Group(
                group.name(),
                group.recordIdentifierFeatureName(),
                group.eventTimeFeatureName(),
                group.features().stream()
                        .map(f -> new Feature(f.name(), f.type().wireName(), f.isCollection()))
                        .toList()));
    }

    @Override
    public Map<String, List<Value>> records(String groupName, List<String> ids, List<String> featureNames) {
        FeatureGroup group = store.groups().find(groupName);
        if (group == null || group.status() != FeatureGroupStatus.Created) {
            throw new IllegalArgumentException("Feature group " + groupName + " does not exist.");
        }
        Map<String, List<Value>> found = new LinkedHashMap<>();
        try {
            store.getAll(group, ids, featureNames)
                    .forEach((id, record) -> found.put(
                            id,
                            record.features().stream()
                                    .map(v -> new Value(v.name(), v.value(), v.values()))
                                    .toList()));
        } catch (TandemException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return found;
    }
}
