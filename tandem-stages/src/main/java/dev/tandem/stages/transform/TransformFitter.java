package dev.tandem.stages.transform;

import dev.tandem.stages.table.Table;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Fills in a spec's missing fitted values from training rows — means, deviations, ranges,
 * categories — as scikit-learn's {@code fit}: each step is fitted on the output of the steps
 * before it. Steps that already carry values are kept as they are.
 */
public final class TransformFitter {
    private TransformFitter() {}

    public static TransformSpec fit(TransformSpec spec, Table training) {
        List<String> names = training.named() ? training.columns() : spec.declaredColumns();
        List<TransformSpec.Feature> fitted = new ArrayList<>();
        for (TransformSpec.Feature feature : spec.features()) {
            int column = feature.column() instanceof Integer index ? index : names.indexOf((String) feature.column());
            if (column < 0) {
                throw new IllegalArgumentException("the training data has no column '" + feature.column() + "'");
            }
            List<@Nullable Object> values = new ArrayList<>();
            for (int r = 0; r < training.rows().size(); r++) {
                values.add(training.cell(r, column));
            }
            List<Step> steps = new ArrayList<>();
            for (Step step : feature.chain()) {
                Step ready = step.fitted() ? step : fitStep(step, values, feature.name());
                steps.add(ready);
                if (!(ready instanceof Step.OneHot)) {
                    values.replaceAll(ready::apply);
                }
            }
            fitted.add(new TransformSpec.Feature(feature.column(), feature.as(), steps));
        }
        return new TransformSpec(spec.input(), fitted, spec.output());
    }

    private static Step fitStep(Step step, List<@Nullable Object> values, String feature) {
        return switch (step) {
            case Step.Impute impute ->
                new Step.Impute(impute.strategy(), statistic(impute.strategy(), values, feature));
            case Step.Standardize ignored -> {
                double[] numbers = numbers(values, feature);
                double mean = Arrays.stream(numbers).average().orElse(0);
                double variance = Arrays.stream(numbers)
                        .map(x -> (x - mean) * (x - mean))
                        .average()
                        .orElse(0);
                yield new Step.Standardize(mean, Math.sqrt(variance));
            }
            case Step.MinMax minMax -> {
                double[] numbers = numbers(values, feature);
                yield new Step.MinMax(
                        Arrays.stream(numbers).min().orElse(0),
                        Arrays.stream(numbers).max().orElse(0),
                        minMax.low(),
                        minMax.high());
            }
            case Step.Ordinal ordinal ->
                new Step.Ordinal(categories(values), ordinal.unknown(), ordinal.unknownValue());
            case Step.OneHot oneHot -> new Step.OneHot(categories(values), oneHot.unknown());
            default -> step;
        };
    }

    private static Object statistic(String strategy, List<@Nullable Object> values, String feature) {
        return switch (strategy) {
            case "mean" -> Arrays.stream(numbers(values, feature)).average().orElse(0);
            case "median" -> {
                double[] sorted = numbers(values, feature);
                Arrays.sort(sorted);
                int n = sorted.length;
                yield n == 0 ? 0.0 : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            }
            case "most_frequent" -> {
                Map<String, Integer> counts = new HashMap<>();
                values.stream().filter(Objects::nonNull).forEach(v -> counts.merge(Step.category(v), 1, Integer::sum));
                // Ties go to the smallest category, as in scikit-learn.
                String best = counts.entrySet().stream()
                        .sorted(Map.Entry.<String, Integer>comparingByValue()
                                .reversed()
                                .thenComparing(Map.Entry.comparingByKey()))
                        .map(Map.Entry::getKey)
                        .findFirst()
                        .orElseThrow(() ->
                                new IllegalArgumentException("feature " + feature + " has no values to impute from"));
                yield best;
            }
            default -> throw new IllegalArgumentException("impute " + strategy + " needs a value in the spec");
        };
    }

    private static double[] numbers(List<@Nullable Object> values, String feature) {
        try {
            return values.stream()
                    .map(Step::number)
                    .filter(Objects::nonNull)
                    .mapToDouble(Double::doubleValue)
                    .toArray();
        } catch (CellException e) {
            throw new IllegalArgumentException("feature " + feature + ": " + e.getMessage(), e);
        }
    }

    private static List<String> categories(List<@Nullable Object> values) {
        TreeSet<String> categories = new TreeSet<>();
        values.stream().filter(Objects::nonNull).forEach(v -> categories.add(Step.category(v)));
        return List.copyOf(categories);
    }
}
