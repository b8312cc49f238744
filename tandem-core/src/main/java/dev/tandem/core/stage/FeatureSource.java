package dev.tandem.core.stage;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The feature store as an in-process stage sees it: the server's groups and their latest live
 * records, read without a network hop. A stage gets it from its {@link StageContext}.
 */
public interface FeatureSource {

    /** A feature of a group: its name, its type ({@code Integral}, {@code Fractional}, {@code String}), whether it holds a list. */
    record Feature(String name, String type, boolean collection) {}

    /** A group: which feature identifies a record, which holds its event time, and all its features in order. */
    record Group(String name, String recordIdentifier, String eventTime, List<Feature> features) {
        public Group {
            features = List.copyOf(features);
        }
    }

    /** One feature's value in a record: a string, or a list of strings for a collection. */
    record Value(String name, @Nullable String value, @Nullable List<String> values) {}

    /** The group of that name, if it exists and can be read. */
    Optional<Group> group(String name);

    /**
     * The latest live record of each identifier — neither expired nor deleted — with only the
     * named features (all of them when none are named).
     *
     * @return by identifier; an identifier without a live record is absent
     * @throws IllegalArgumentException when the group does not exist or names no such feature
     */
    Map<String, List<Value>> records(String group, List<String> ids, List<String> featureNames);

    /** No feature store: a server without one, or a stage built outside a server. */
    FeatureSource NONE = new FeatureSource() {
        @Override
        public Optional<Group> group(String name) {
            return Optional.empty();
        }

        @Override
        public Map<String, List<Value>> records(String group, List<String> ids, List<String> featureNames) {
            throw new IllegalArgumentException("No feature store is available here.");
        }
    };
}
