package dev.tandem.stages.transform;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One operation of a feature's chain, as written in {@code transform.json} ({@code "op": ...}).
 * Each takes a cell — a {@link String}, a {@link Double} or {@code null} for missing — and gives
 * the next; {@link OneHot} alone widens a cell into several features and so ends a chain.
 *
 * <p>Fitted values (means, categories, …) live in the spec itself: {@link TransformFitter} fills
 * them in from training data, as scikit-learn's {@code fit} would, and serving only applies them.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Step.Impute.class, name = "impute"),
    @JsonSubTypes.Type(value = Step.Standardize.class, name = "standard"),
    @JsonSubTypes.Type(value = Step.MinMax.class, name = "minmax"),
    @JsonSubTypes.Type(value = Step.Log.class, name = "log"),
    @JsonSubTypes.Type(value = Step.Clip.class, name = "clip"),
    @JsonSubTypes.Type(value = Step.Bucketize.class, name = "bucketize"),
    @JsonSubTypes.Type(value = Step.Ordinal.class, name = "ordinal"),
    @JsonSubTypes.Type(value = Step.OneHot.class, name = "onehot"),
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface Step {

    /** The next cell; throws {@link CellException} when this cell cannot be transformed. */
    @Nullable
    Object apply(@Nullable Object cell);

    /** Whether {@link TransformFitter} must still compute this step's parameters. */
    boolean fitted();

    /**
     * Replaces a missing value: {@code strategy} is {@code constant}, {@code mean}, {@code median}
     * or {@code most_frequent}; {@code value} is the constant or the fitted statistic.
     */
    record Impute(String strategy, @Nullable Object value) implements Step {
        public Impute {
            if (!List.of("constant", "mean", "median", "most_frequent").contains(strategy)) {
                throw new IllegalArgumentException(
                        "impute strategy must be constant, mean, median or most_frequent, got " + strategy);
            }
            if (strategy.equals("constant") && value == null) {
                throw new IllegalArgumentException("impute with strategy constant needs a value");
            }
        }

        @Override
        public @Nullable Object apply(@Nullable Object cell) {
            return cell == null ? value : cell;
        }

        @Override
        public boolean fitted() {
            return value != null;
        }
    }

    /** {@code (x - mean) / std}, scikit-learn's StandardScaler. */
    record Standardize(@Nullable Double mean, @Nullable Double std) implements Step {
        @Override
        public @Nullable Object apply(@Nullable Object cell) {
            Double x = number(cell);
            if (x == null || mean == null || std == null) {
                return x;
            }
            return (x - mean) / (std == 0 ? 1 : std);
        }

        @Override
        public boolean fitted() {
            return mean != null && std != null;
        }
    }

    /** Scales {@code [min, max]} onto {@code [low, high]} (default 0 to 1), MinMaxScaler. */
    record MinMax(@Nullable Double min, @Nullable Double max, @Nullable Double low, @Nullable Double high)
            implements Step {
        @Override
        public @Nullable Object apply(@Nullable Object cell) {
            Double x = number(cell);
            if (x == null || min == null || max == null) {
                return x;
            }
            double from = low == null ? 0 : low;
            double to = high == null ? 1 : high;
            double span = max - min;
            return from + (span == 0 ? 0 : (x - min) / span) * (to - from);
        }

        @Override
        public boolean fitted() {
            return min != null && max != null;
        }
    }

    /** {@code ln(x + offset)}; {@code offset} 1 is {@code log1p}. */
    record Log(@Nullable Double offset) implements Step {
        @Override
        public @Nullable Object apply(@Nullable Object cell) {
            Double x = number(cell);
            if (x == null) {
                return null;
            }
            double shifted = x + (offset == null ? 0 : offset);
            if (shifted <= 0) {
                throw new CellException("log of " + x + (offset == null ? "" : " + " + offset) + " is undefined");
            }
            return Math.log(shifted);
        }

        @Override
        public boolean fitted() {
            return true;
        }
    }

    /** Limits a value to {@code [min, max]}; either bound may be absent. */
    record Clip(@Nullable Double min, @Nullable Double max) implements Step {
        @Override
        public @Nullable Object apply(@Nullable Object cell) {
            Double x = number(cell);
            if (x == null) {
                return null;
            }
            double clipped = min == null ? x : Math.max(min, x);
            return max == null ? clipped : Math.min(max, clipped);
        }

        @Override
        public boolean fitted() {
            return true;
        }
    }

    /**
     * The index of the bucket a value falls in: how many {@code boundaries} (ascending) are less
     * than or equal to it, as numpy's {@code digitize}.
     */
    record Bucketize(List<Double> boundaries) implements Step {
        public Bucketize {
            boundaries = List.copyOf(boundaries);
            for (int i = 1; i < boundaries.size(); i++) {
                if (boundaries.get(i) <= boundaries.get(i - 1)) {
                    throw new IllegalArgumentException("bucketize boundaries must ascend: " + boundaries);
                }
            }
        }

        @Override
        public @Nullable Object apply(@Nullable Object cell) {
            Double x = number(cell);
            if (x == null) {
                return null;
            }
            int bucket = 0;
            while (bucket < boundaries.size() && boundaries.get(bucket) <= x) {
                bucket++;
            }
            return (double) bucket;
        }

        @Override
        public boolean fitted() {
            return true;
        }
    }

    /**
     * A category's position in {@code categories}. An unknown category is refused ({@code unknown:
     * "error"}, the default) or becomes {@code unknownValue} ({@code "use_encoded_value"}).
     */
    record Ordinal(@Nullable List<String> categories, @Nullable String unknown, @Nullable Double unknownValue)
            implements Step {
        public Ordinal {
            unknownPolicy(unknown, "error", "use_encoded_value");
        }

        @Override
        public @Nullable Object apply(@Nullable Object cell) {
            if (cell == null || categories == null) {
                return cell;
            }
            int index = categories.indexOf(category(cell));
            if (index >= 0) {
                return (double) index;
            }
            if ("use_encoded_value".equals(unknown)) {
                return unknownValue == null ? -1.0 : unknownValue;
            }
            throw new CellException("'" + category(cell) + "' is not a known category " + categories);
        }

        @Override
        public boolean fitted() {
            return categories != null;
        }
    }

    /**
     * One feature per category, 1 for the cell's and 0 for the others. An unknown category is
     * refused ({@code unknown: "error"}, the default) or becomes all zeros ({@code "ignore"}); a
     * missing cell is all zeros.
     */
    record OneHot(@Nullable List<String> categories, @Nullable String unknown) implements Step {
        public OneHot {
            unknownPolicy(unknown, "error", "ignore");
        }

        @Override
        public @Nullable Object apply(@Nullable Object cell) {
            throw new UnsupportedOperationException("onehot widens a cell; use encode");
        }

        int width() {
            return categories == null ? 0 : categories.size();
        }

        void encode(@Nullable Object cell, float[] out, int offset) {
            if (cell == null || categories == null) {
                return;
            }
            int index = categories.indexOf(category(cell));
            if (index >= 0) {
                out[offset + index] = 1;
            } else if (!"ignore".equals(unknown)) {
                throw new CellException("'" + category(cell) + "' is not a known category " + categories);
            }
        }

        @Override
        public boolean fitted() {
            return categories != null;
        }
    }

    /** A cell as a number: a {@link Double} as is, a string parsed, {@code null} kept missing. */
    static @Nullable Double number(@Nullable Object cell) {
        if (cell == null || cell instanceof Double) {
            return (Double) cell;
        }
        try {
            return Double.parseDouble((String) cell);
        } catch (NumberFormatException e) {
            throw new CellException("'" + cell + "' is not a number");
        }
    }

    /** A cell as a category name; numbers as written without a needless {@code .0}. */
    static String category(Object cell) {
        if (cell instanceof Double number && number == Math.rint(number) && !number.isInfinite()) {
            return Long.toString(number.longValue());
        }
        return cell.toString();
    }

    private static void unknownPolicy(@Nullable String unknown, String... allowed) {
        if (unknown != null && !List.of(allowed).contains(unknown.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(
                    "unknown must be one of " + String.join(", ", allowed) + ", got " + unknown);
        }
    }
}
