package dev.tandem.stages.transform;

import dev.tandem.core.stage.StageException;
import dev.tandem.stages.table.HeaderPolicy;
import dev.tandem.stages.table.Matrix;
import dev.tandem.stages.table.Table;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** A fitted {@link TransformSpec}, ready to turn request rows into model features. */
public final class Transformer {
    private final TransformSpec spec;
    private final List<String> featureNames;
    private final Set<String> knownColumns;

    public Transformer(TransformSpec spec) {
        List<String> unfitted = spec.unfitted();
        if (!unfitted.isEmpty()) {
            throw new IllegalArgumentException("the spec's steps for " + unfitted
                    + " have no fitted values; fit it on training data first (TransformFitter)");
        }
        this.spec = spec;
        List<String> names = new ArrayList<>();
        for (TransformSpec.Feature feature : spec.features()) {
            if (lastStep(feature) instanceof Step.OneHot oneHot && oneHot.categories() != null) {
                oneHot.categories().forEach(category -> names.add(feature.name() + "=" + category));
            } else {
                names.add(feature.name());
            }
        }
        this.featureNames = List.copyOf(names);
        Set<String> known = new HashSet<>(spec.declaredColumns());
        spec.features().forEach(feature -> {
            if (feature.column() instanceof String name) {
                known.add(name);
            }
        });
        this.knownColumns = known;
    }

    /** The names of the output features, one-hot categories expanded. */
    public List<String> featureNames() {
        return featureNames;
    }

    public TransformSpec spec() {
        return spec;
    }

    /** How this spec tells a CSV header from a first data row. */
    public HeaderPolicy headerPolicy() {
        return switch (spec.headerPolicy()) {
            case "present" -> HeaderPolicy.always();
            case "absent" -> HeaderPolicy.never();
            default ->
                line -> {
                    for (String cell : line) {
                        if (!knownColumns.contains(cell.strip())) {
                            return false;
                        }
                    }
                    return true;
                };
        };
    }

    /** Computes the features of every row; a cell that cannot be transformed fails the request. */
    public Matrix apply(Table table) {
        int[] sources = resolveColumns(table);
        int width = featureNames.size();
        int rows = table.rows().size();
        float[] out = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            checkWidth(table, r);
            int offset = r * width;
            for (int f = 0; f < sources.length; f++) {
                TransformSpec.Feature feature = spec.features().get(f);
                try {
                    offset += transform(feature, table.cell(r, sources[f]), out, offset);
                } catch (CellException e) {
                    throw StageException.badInput(
                            "row " + (r + 1) + ", column '" + columnName(table, sources[f]) + "': " + e.getMessage());
                }
            }
        }
        return new Matrix(rows, width, out);
    }

    private static int transform(TransformSpec.Feature feature, @Nullable Object cell, float[] out, int offset) {
        Object value = cell;
        for (Step step : feature.chain()) {
            if (step instanceof Step.OneHot oneHot) {
                oneHot.encode(value, out, offset);
                return oneHot.width();
            }
            value = step.apply(value);
        }
        Double number = Step.number(value);
        out[offset] = number == null ? Float.NaN : number.floatValue();
        return 1;
    }

    /** The input column index each feature reads. */
    private int[] resolveColumns(Table table) {
        List<String> names = table.named() ? table.columns() : spec.declaredColumns();
        int[] sources = new int[spec.features().size()];
        for (int f = 0; f < sources.length; f++) {
            Object column = spec.features().get(f).column();
            if (column instanceof Integer index) {
                sources[f] = index;
                continue;
            }
            int index = names.indexOf((String) column);
            if (index < 0) {
                throw StageException.badInput(
                        names.isEmpty()
                                ? "column '" + column
                                        + "' is referenced by name but the body has no header and the spec"
                                        + " declares no input.columns"
                                : "missing column '" + column + "'; the body has columns " + names);
            }
            sources[f] = index;
        }
        return sources;
    }

    private void checkWidth(Table table, int row) {
        int width = table.rows().get(row).length;
        if (table.named()) {
            return; // records and headers name their cells; absent ones are missing values
        }
        List<String> declared = spec.declaredColumns();
        if (!declared.isEmpty() && width != declared.size()) {
            throw StageException.badInput("row " + (row + 1) + " has " + width + " values; expected " + declared.size()
                    + " (" + String.join(", ", declared) + ")");
        }
        int needed = 0;
        for (TransformSpec.Feature feature : spec.features()) {
            if (feature.column() instanceof Integer index) {
                needed = Math.max(needed, index + 1);
            }
        }
        if (width < needed) {
            throw StageException.badInput(
                    "row " + (row + 1) + " has " + width + " values; the spec reads column index " + (needed - 1));
        }
    }

    private String columnName(Table table, int index) {
        List<String> names = table.named() ? table.columns() : spec.declaredColumns();
        return index < names.size() ? names.get(index) : Integer.toString(index);
    }

    private static @Nullable Step lastStep(TransformSpec.Feature feature) {
        List<Step> chain = feature.chain();
        return chain.isEmpty() ? null : chain.get(chain.size() - 1);
    }
}
