package dev.tandem.stages.xgboost;

import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.stages.table.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads libsvm rows ({@code [label] index:value ...}, 0-based indices as XGBoost reads them); the
 * label, when present, is ignored and absent features are missing.
 */
final class Libsvm {
    private Libsvm() {}

    static Matrix read(Payload body, int features) {
        List<float[]> rows = new ArrayList<>();
        String[] lines = body.asUtf8().split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.isEmpty()) {
                continue;
            }
            float[] row = new float[features];
            Arrays.fill(row, Float.NaN);
            String[] tokens = line.split("\\s+", -1);
            for (int t = 0; t < tokens.length; t++) {
                int colon = tokens[t].indexOf(':');
                if (colon < 0) {
                    if (t == 0) {
                        continue; // the label
                    }
                    throw StageException.badInput("line " + (n + 1) + ": '" + tokens[t] + "' is not index:value");
                }
                try {
                    int index = Integer.parseInt(tokens[t].substring(0, colon));
                    if (index < 0 || index >= features) {
                        throw StageException.badInput("line " + (n + 1) + ": feature index " + index
                                + " is out of range; the model takes " + features + " features (0 to "
                                + (features - 1) + ")");
                    }
                    row[index] = Float.parseFloat(tokens[t].substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw StageException.badInput("line " + (n + 1) + ": '" + tokens[t] + "' is not index:value");
                }
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw StageException.badInput("the body holds no rows");
        }
        float[] values = new float[rows.size() * features];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, values, r * features, features);
        }
        return new Matrix(rows.size(), features, values);
    }
}
