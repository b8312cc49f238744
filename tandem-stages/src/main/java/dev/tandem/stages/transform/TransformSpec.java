package dev.tandem.stages.transform;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.tandem.stages.support.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The declarative preprocessing of {@code builtin:transform}, read from {@code transform.json}: which
 * columns come in, and the features to compute from them, in output order — the job of a
 * scikit-learn {@code ColumnTransformer}.
 *
 * <pre>{@code
 * {
 *   "input":  {"columns": ["island", "bill_length_mm", "sex"], "header": "auto"},
 *   "features": [
 *     {"column": "bill_length_mm", "steps": [{"op": "impute", "strategy": "mean"}, {"op": "standard"}]},
 *     {"column": "island", "steps": [{"op": "onehot", "unknown": "ignore"}]},
 *     {"column": 2, "as": "sex", "steps": [{"op": "impute", "strategy": "most_frequent"}, {"op": "ordinal"}]}
 *   ],
 *   "output": {"json": "instances"}
 * }
 * }</pre>
 *
 * @param input the columns of a body without a header, and whether CSV bodies carry one
 * @param features the output features in order; each takes one input column by name or 0-based
 *     index through a chain of {@link Step}s
 * @param output the shape of JSON answers
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TransformSpec(@Nullable Input input, List<Feature> features, @Nullable Output output) {
    public static final String FILE_NAME = "transform.json";

    public TransformSpec {
        if (features == null || features.isEmpty()) {
            throw new IllegalArgumentException("the spec lists no features");
        }
        features = List.copyOf(features);
    }

    /**
     * Which columns come in.
     *
     * @param columns the names of the columns, in order, of bodies that do not name them
     * @param header {@code auto} (the default: a first CSV line made of known column names is a
     *     header), {@code present} or {@code absent}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Input(@Nullable List<String> columns, @Nullable String header) {
        public Input {
            if (header != null && !List.of("auto", "present", "absent").contains(header.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("input.header must be auto, present or absent, got " + header);
            }
        }
    }

    /**
     * One output feature (or one per category, for one-hot).
     *
     * @param column the input column: a name, or a 0-based index
     * @param as the output feature's name (default: the column's name); one-hot features are
     *     named {@code NAME=CATEGORY}
     * @param steps the chain applied to the column's cell
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Feature(Object column, @Nullable @JsonProperty("as") String as, @Nullable List<Step> steps) {
        public Feature {
            if (!(column instanceof String) && !(column instanceof Integer)) {
                throw new IllegalArgumentException("a feature's column is a name or a 0-based index, got " + column);
            }
            if (column instanceof Integer index && index < 0) {
                throw new IllegalArgumentException("a column index cannot be negative: " + index);
            }
            steps = steps == null ? List.of() : List.copyOf(steps);
            for (int i = 0; i < steps.size() - 1; i++) {
                if (steps.get(i) instanceof Step.OneHot) {
                    throw new IllegalArgumentException("onehot must be the last step of feature " + column);
                }
            }
        }

        /** The output name of this feature (before one-hot expansion). */
        public String name() {
            return as != null ? as : column.toString();
        }

        List<Step> chain() {
            return steps == null ? List.of() : steps;
        }
    }

    /**
     * The shape of JSON answers.
     *
     * @param json {@code instances} (the default: {@code {"instances": [[...]]}}, what model stages
     *     take) or {@code records} ({@code [{"feature": value, ...}]})
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Output(@Nullable String json) {
        public Output {
            if (json != null && !List.of("instances", "records").contains(json)) {
                throw new IllegalArgumentException("output.json must be instances or records, got " + json);
            }
        }
    }

    public static TransformSpec read(Path file) {
        try {
            return Json.MAPPER.readValue(file.toFile(), TransformSpec.class);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(file.getFileName() + " is invalid: " + cause.getMessage(), e);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException(file.getFileName() + " is not a valid transform spec: " + why, e);
        }
    }

    /** The features whose steps still lack fitted values, by name. */
    public List<String> unfitted() {
        List<String> names = new ArrayList<>();
        for (Feature feature : features) {
            if (feature.chain().stream().anyMatch(step -> !step.fitted())) {
                names.add(feature.name());
            }
        }
        return names;
    }

    List<String> declaredColumns() {
        return input != null && input.columns() != null ? input.columns() : List.of();
    }

    String headerPolicy() {
        return input != null && input.header() != null ? input.header().toLowerCase(Locale.ROOT) : "auto";
    }

    String jsonShape() {
        return output != null && output.json() != null ? output.json() : "instances";
    }
}
